import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rateCardIssues } from '../libs/core/src/index.js';
import { DEFAULT_RATE_CARD } from '../src/pricing/default-rate-card.js';
import { startHerald, type TestHerald } from './support/herald.js';

describe('GET|PUT /v1/rate-card', () => {
  let herald: TestHerald;
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    herald = await startHerald();
    key = (await herald.createWorkspace('pricing')).apiKey;
    otherKey = (await herald.createWorkspace('pricing-other')).apiKey;
  });
  afterAll(() => herald.close());

  it('should ship a valid default card, labelled as example prices', async () => {
    expect(rateCardIssues(DEFAULT_RATE_CARD)).toEqual([]);
    const answer = await herald.request('GET', '/v1/rate-card', { key });
    expect(answer.status).toBe(200);
    expect([answer.body.isDefault, answer.body.currency, answer.body.label]).toEqual([
      true,
      'USD',
      DEFAULT_RATE_CARD.label,
    ]);
    expect(answer.body.label).toMatch(/^Example prices/);
  });

  it('should refuse an invalid card naming each field, and keep the old one', async () => {
    const answer = await herald.request('PUT', '/v1/rate-card', {
      key,
      body: { ...DEFAULT_RATE_CARD, currency: 'dollars', sms: { default: '-1' } },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((d: { field: string }) => d.field)).toEqual(['currency', 'sms.default']);
    expect((await herald.request('GET', '/v1/rate-card', { key })).body.isDefault).toBe(true);
  });

  it("should store a workspace's own card and show it only to that workspace", async () => {
    const own = {
      ...DEFAULT_RATE_CARD,
      currency: 'EUR',
      label: 'Our contract 2027',
      sms: { default: '0.04', countries: { GB: '0.035' } },
    };
    const put = await herald.request('PUT', '/v1/rate-card', { key, body: own });
    expect(put.status).toBe(200);
    const got = (await herald.request('GET', '/v1/rate-card', { key })).body;
    expect([got.isDefault, got.currency, got.label, got.sms]).toEqual([false, 'EUR', 'Our contract 2027', own.sms]);
    expect((await herald.request('GET', '/v1/rate-card', { key: otherKey })).body.isDefault).toBe(true);
  });
});
