import type { Channel } from './statuses.js';

/**
 * A workspace's prices (API §8): SMS per segment, WhatsApp per delivered message by category, the other
 * channels per message; each with a default and per-country (ISO 3166 alpha-2) overrides. Amounts are decimal
 * strings, so no price is ever rounded through a float.
 */
export interface PriceTable {
  default: string;
  countries?: Record<string, string>;
}

export const WHATSAPP_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION', 'SERVICE'] as const;
export type WhatsAppCategory = (typeof WHATSAPP_CATEGORIES)[number];

/** When Meta's rules make a WhatsApp message free, beyond service replies inside the window (always free). */
export interface PricingRules {
  /** Utility templates sent while the customer-service window is open are free (Meta, since July 2025). Default true. */
  whatsappUtilityFreeInServiceWindow?: boolean;
}

export interface RateCard {
  currency: string;
  label?: string;
  rules?: PricingRules;
  sms: PriceTable;
  whatsapp: Record<WhatsAppCategory, PriceTable>;
  viber: PriceTable;
  rcs: PriceTable;
  email: PriceTable;
}

const AMOUNT = /^\d{1,6}(\.\d{1,6})?$/;
const COUNTRY = /^[A-Z]{2}$/;
const CURRENCY = /^[A-Z]{3}$/;

function tableIssues(value: unknown, field: string): { field: string; issue: string }[] {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return [{ field, issue: 'an object {default, countries?}' }];
  const table = value as Record<string, unknown>;
  const issues: { field: string; issue: string }[] = [];
  if (typeof table.default !== 'string' || !AMOUNT.test(table.default)) {
    issues.push({ field: `${field}.default`, issue: 'a decimal string such as "0.0079"' });
  }
  if (table.countries !== undefined) {
    if (!table.countries || typeof table.countries !== 'object' || Array.isArray(table.countries)) {
      issues.push({ field: `${field}.countries`, issue: 'an object of country code → price' });
    } else {
      for (const [country, price] of Object.entries(table.countries)) {
        if (!COUNTRY.test(country))
          issues.push({ field: `${field}.countries.${country}`, issue: 'an ISO 3166 alpha-2 code' });
        else if (typeof price !== 'string' || !AMOUNT.test(price)) {
          issues.push({ field: `${field}.countries.${country}`, issue: 'a decimal string such as "0.0079"' });
        }
      }
    }
  }
  for (const key of Object.keys(table))
    if (key !== 'default' && key !== 'countries') issues.push({ field: `${field}.${key}`, issue: 'unknown field' });
  return issues;
}

/** Every problem with a rate card, as `{field, issue}`; empty when it is valid. */
export function rateCardIssues(value: unknown): { field: string; issue: string }[] {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return [{ field: 'body', issue: 'a rate card object' }];
  const card = value as Record<string, unknown>;
  const issues: { field: string; issue: string }[] = [];
  if (typeof card.currency !== 'string' || !CURRENCY.test(card.currency))
    issues.push({ field: 'currency', issue: 'an ISO 4217 code such as "USD"' });
  if (card.label !== undefined && (typeof card.label !== 'string' || card.label.length > 200))
    issues.push({ field: 'label', issue: 'a string of at most 200 characters' });
  for (const channel of ['sms', 'viber', 'rcs', 'email'] as const) issues.push(...tableIssues(card[channel], channel));
  if (card.rules !== undefined) {
    if (!card.rules || typeof card.rules !== 'object' || Array.isArray(card.rules)) {
      issues.push({ field: 'rules', issue: 'an object {whatsappUtilityFreeInServiceWindow?: boolean}' });
    } else {
      for (const [key, value] of Object.entries(card.rules)) {
        if (key !== 'whatsappUtilityFreeInServiceWindow') issues.push({ field: `rules.${key}`, issue: 'unknown rule' });
        else if (typeof value !== 'boolean') issues.push({ field: `rules.${key}`, issue: 'true or false' });
      }
    }
  }
  const whatsapp = card.whatsapp;
  if (!whatsapp || typeof whatsapp !== 'object' || Array.isArray(whatsapp)) {
    issues.push({ field: 'whatsapp', issue: `an object with ${WHATSAPP_CATEGORIES.join(', ')}` });
  } else {
    for (const category of WHATSAPP_CATEGORIES)
      issues.push(...tableIssues((whatsapp as Record<string, unknown>)[category], `whatsapp.${category}`));
    for (const key of Object.keys(whatsapp)) {
      if (!(WHATSAPP_CATEGORIES as readonly string[]).includes(key))
        issues.push({ field: `whatsapp.${key}`, issue: 'unknown category' });
    }
  }
  const known = ['currency', 'label', 'rules', 'sms', 'whatsapp', 'viber', 'rcs', 'email'];
  for (const key of Object.keys(card)) if (!known.includes(key)) issues.push({ field: key, issue: 'unknown field' });
  return issues;
}

/** Multiplies a decimal string by a whole number, exactly (prices have at most 6 decimals). */
function times(amount: string, count: number): string {
  const [whole, fraction = ''] = amount.split('.');
  const micros = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0')) * 1n;
  const total = micros * BigInt(count);
  const text = (total / 1_000_000n).toString() + '.' + (total % 1_000_000n).toString().padStart(6, '0');
  return text.replace(/\.?0+$/, '') || '0';
}

export interface PriceQuery {
  channel: Channel;
  /** ISO 3166 alpha-2 of the recipient, when known. */
  country: string | null;
  /** SMS segments (GSM-7/UCS-2); 1 for other channels. */
  segments?: number;
  /** WhatsApp's pricing category; text inside the customer-service window is SERVICE. */
  category?: WhatsAppCategory;
  /** WhatsApp: the customer-service window was open when the message was sent. */
  inServiceWindow?: boolean;
}

/** The price of one attempt under `card`. */
export function priceFor(card: RateCard, query: PriceQuery): { amount: string; currency: string } {
  if (
    query.channel === 'whatsapp' &&
    query.category === 'UTILITY' &&
    query.inServiceWindow === true &&
    card.rules?.whatsappUtilityFreeInServiceWindow !== false
  ) {
    return { amount: '0', currency: card.currency };
  }
  const table: PriceTable =
    query.channel === 'whatsapp' ? card.whatsapp[query.category ?? 'MARKETING'] : card[query.channel];
  const unit = (query.country && table.countries?.[query.country]) || table.default;
  const count = query.channel === 'sms' ? Math.max(1, query.segments ?? 1) : 1;
  return { amount: times(unit, count), currency: card.currency };
}
