import type { RateCard } from '#libs/core/src/index.js';

/**
 * The rate card a workspace uses until it sets its own (PUT /v1/rate-card). EXAMPLE PRICES, in the order of
 * magnitude of public list prices in 2025, for reports to show something sensible: not a quote from anyone.
 */
export const DEFAULT_RATE_CARD: RateCard = {
  currency: 'USD',
  label: 'Example prices (not a quote): set your own with PUT /v1/rate-card',
  rules: { whatsappUtilityFreeInServiceWindow: true },
  sms: {
    default: '0.0500',
    countries: { US: '0.0083', CA: '0.0083', GB: '0.0463', DE: '0.0880', FR: '0.0850', IN: '0.0830', BR: '0.0500' },
  },
  whatsapp: {
    MARKETING: {
      default: '0.0500',
      countries: { US: '0.0250', GB: '0.0529', DE: '0.1365', IN: '0.0107', BR: '0.0625' },
    },
    UTILITY: { default: '0.0200', countries: { US: '0.0040', GB: '0.0220', DE: '0.0550', IN: '0.0014', BR: '0.0080' } },
    AUTHENTICATION: {
      default: '0.0200',
      countries: { US: '0.0135', GB: '0.0358', DE: '0.0768', IN: '0.0014', BR: '0.0315' },
    },
    SERVICE: { default: '0' },
  },
  viber: { default: '0.0100' },
  rcs: { default: '0.0100' },
  email: { default: '0.0001' },
};
