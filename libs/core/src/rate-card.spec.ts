import { describe, expect, it } from '@jest/globals';
import { priceFor, rateCardIssues, type RateCard } from './rate-card.js';

const card: RateCard = {
  currency: 'EUR',
  sms: { default: '0.05', countries: { GB: '0.0463' } },
  whatsapp: {
    MARKETING: { default: '0.05', countries: { DE: '0.1365' } },
    UTILITY: { default: '0.02' },
    AUTHENTICATION: { default: '0.03' },
    SERVICE: { default: '0' },
  },
  viber: { default: '0.01' },
  rcs: { default: '0.012' },
  email: { default: '0.0001' },
};

describe(priceFor.name, () => {
  it('should charge SMS per segment at the country price, exactly', () => {
    expect(priceFor(card, { channel: 'sms', country: 'GB', segments: 3 })).toEqual({
      amount: '0.1389',
      currency: 'EUR',
    });
    expect(priceFor(card, { channel: 'sms', country: 'FR', segments: 2 })).toEqual({ amount: '0.1', currency: 'EUR' });
    expect(priceFor(card, { channel: 'sms', country: null })).toEqual({ amount: '0.05', currency: 'EUR' });
  });

  it('should price WhatsApp by category, MARKETING when unknown, SERVICE free', () => {
    expect(priceFor(card, { channel: 'whatsapp', country: 'DE' }).amount).toBe('0.1365');
    expect(priceFor(card, { channel: 'whatsapp', country: 'DE', category: 'UTILITY' }).amount).toBe('0.02');
    expect(priceFor(card, { channel: 'whatsapp', country: 'GB', category: 'SERVICE' }).amount).toBe('0');
  });

  it('should make a utility template sent inside the service window free unless the card says otherwise', () => {
    const inWindow = { channel: 'whatsapp', country: 'DE', inServiceWindow: true } as const;
    expect(priceFor(card, { ...inWindow, category: 'UTILITY' }).amount).toBe('0');
    expect(priceFor(card, { ...inWindow, category: 'MARKETING' }).amount).toBe('0.1365');
    expect(priceFor(card, { ...inWindow, inServiceWindow: false, category: 'UTILITY' }).amount).toBe('0.02');
    const strict = { ...card, rules: { whatsappUtilityFreeInServiceWindow: false } };
    expect(priceFor(strict, { ...inWindow, category: 'UTILITY' }).amount).toBe('0.02');
  });

  it('should refuse rules it does not know or that are not booleans', () => {
    expect(rateCardIssues({ ...card, rules: { whatsappUtilityFreeInServiceWindow: 'yes', other: true } })).toEqual([
      { field: 'rules.whatsappUtilityFreeInServiceWindow', issue: 'true or false' },
      { field: 'rules.other', issue: 'unknown rule' },
    ]);
  });

  it('should charge other channels per message, whatever the segment count', () => {
    expect(priceFor(card, { channel: 'email', country: null, segments: 9 }).amount).toBe('0.0001');
    expect(priceFor(card, { channel: 'rcs', country: 'GB' }).amount).toBe('0.012');
  });
});

describe(rateCardIssues.name, () => {
  it('should accept a complete card', () => {
    expect(rateCardIssues(card)).toEqual([]);
  });

  it('should name every bad field', () => {
    const bad = {
      ...card,
      currency: 'euro',
      sms: { default: 0.05, countries: { gb: '0.1', FR: 'cheap' } },
      whatsapp: { ...card.whatsapp, PROMO: { default: '1' } },
      extra: true,
    };
    expect(rateCardIssues(bad).map((i) => i.field)).toEqual([
      'currency',
      'sms.default',
      'sms.countries.gb',
      'sms.countries.FR',
      'whatsapp.PROMO',
      'extra',
    ]);
    expect(rateCardIssues([])).toEqual([{ field: 'body', issue: 'a rate card object' }]);
  });
});
