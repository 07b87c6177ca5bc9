import { describe, expect, it } from '@jest/globals';
import { formatAmount, medianSeconds, ratio, summaryRow, type RawSummaryRow } from './summary-row.js';

const RAW: RawSummaryRow = {
  key: 'trg_1',
  label: 'Cart, "abandoned"',
  total: 0,
  accepted: 3,
  sent: 2,
  delivered: 1,
  read: 0,
  failed: 1,
  rejected: 0,
  expired: 0,
  canceled: 0,
  pending: 0,
  fell_back: 2,
  median_ms: 1234.5,
  cost: '0.092600',
  other_costs: [{ currency: 'EUR', amount: '1.500000' }],
};

describe(formatAmount.name, () => {
  it('should keep 4 to 6 decimals without going through a float', () => {
    expect(['0.092600', '12.000000', '0.000015', '0', '3.1', '123456789.123456'].map(formatAmount)).toEqual([
      '0.0926',
      '12.0000',
      '0.000015',
      '0.0000',
      '3.1000',
      '123456789.123456',
    ]);
  });
});

describe(ratio.name, () => {
  it('should round to 4 decimals and give null without a denominator', () => {
    expect([ratio(1, 3), ratio(2, 3), ratio(1, 32), ratio(3, 3), ratio(0, 0)]).toEqual([
      0.3333,
      0.6667,
      0.0313,
      1,
      null,
    ]);
  });
});

describe(medianSeconds.name, () => {
  it('should turn a median of whole (or half) milliseconds into exact seconds', () => {
    expect([medianSeconds(1234.5), medianSeconds(4200), medianSeconds(0), medianSeconds(null)]).toEqual([
      1.2345,
      4.2,
      0,
      null,
    ]);
  });
});

describe(summaryRow.name, () => {
  it('should name trigger and broadcast groups and derive the rates', () => {
    expect(summaryRow(RAW, 'trigger', 'USD')).toEqual({
      key: 'trg_1',
      label: 'Cart, "abandoned"',
      accepted: 3,
      sent: 2,
      delivered: 1,
      read: 0,
      failed: 1,
      rejected: 0,
      expired: 0,
      canceled: 0,
      pending: 0,
      fellBack: 2,
      deliveryRate: 0.3333,
      medianSecondsToDeliver: 1.2345,
      fallbackRate: 0.6667,
      cost: { amount: '0.0926', currency: 'USD' },
      otherCosts: [{ amount: '1.5000', currency: 'EUR' }],
    });
  });

  it('should label other groupings with their key', () => {
    expect(summaryRow({ ...RAW, key: 'sms', label: null }, 'channel', 'EUR')).toMatchObject({
      key: 'sms',
      label: 'sms',
      cost: { amount: '0.0926', currency: 'EUR' },
    });
  });
});
