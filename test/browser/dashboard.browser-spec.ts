import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startHerald, type TestHerald } from '../support/herald.js';
import { ownDatabase, useDatabase } from '../support/processes.js';
import { chartOf, emptyNote, figures, hasChart, launchBrowser, type Browser } from './dashboard-page.js';
import { seedScenario } from './dashboard-scenario.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const CHANNELS: Record<string, string> = {
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  email: 'Email',
  viber: 'Viber',
  rcs: 'RCS',
};
const STEPS = ['accepted', 'sent', 'delivered', 'read', 'failed', 'expired'];

// How the page writes figures (src/dashboard/public/format.js), restated so a change there is a visible choice.
const count = (n: number) => n.toLocaleString('en-US');
const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);
const seconds = (s: number | null) => (s === null ? '—' : `${s.toFixed(s < 10 ? 2 : s < 100 ? 1 : 0)} s`);
const raw = (value: unknown) => (value === null || value === undefined ? '' : String(value));
const shown = (n: number) => ({ text: count(n), value: String(n) });
const channelKey = (key: string | null) => key ?? 'none';
const channelName = (key: string | null) => (key === null ? 'No channel' : (CHANNELS[key] ?? key));
const title = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).replaceAll('_', ' ');

/** `YYYY-MM-DD` of today minus `days`, in UTC (the browser runs in UTC). */
const utcDay = (days = 0) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
/** The API's [from, to) for the days `from` to `to` inclusive, as the page sends it. */
const rangeOf = (from: string, to: string) => ({
  from: `${from}T00:00:00.000Z`,
  to: new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString(),
});

interface Reports {
  summary: { status: number; rows: any[] };
  cascades: { status: number; rows: any[] };
  triggers: { status: number; rows: any[] };
}

/**
 * GET /dashboard in headless Chromium against a real Herald with its own database: the figures on the page
 * equal the report API's, fetched here by the test itself; the charts are drawn; a screenshot is kept.
 */
describe('dashboard in a browser', () => {
  let herald: TestHerald;
  let key: string;
  let browser: Browser;
  let page: Page;
  let api: Reports;
  const range = rangeOf(utcDay(1), utcDay(0));

  const reports = async (query: { from: string; to: string }): Promise<Reports> => {
    const get = async (path: string) => {
      const answer = await herald.request(
        'GET',
        `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(query)}`,
        { key },
      );
      return { status: answer.status, rows: answer.status === 200 ? answer.body.rows : [] };
    };
    const [summary, cascades, triggers] = await Promise.all([
      get('/v1/reports/summary?groupBy=channel'),
      get('/v1/reports/cascades'),
      get('/v1/reports/triggers'),
    ]);
    return { summary, cascades, triggers };
  };

  /** Pastes the key, picks the days, submits and waits until every card has an answer. */
  const show = async (target: Page, apiKey: string, from: string, to: string): Promise<void> => {
    await target.getByLabel('API key').fill(apiKey);
    await target.getByLabel('From').fill(from);
    await target.getByLabel('To (inclusive)').fill(to);
    await target.getByRole('button', { name: 'Show report' }).click();
    await target.waitForSelector('[data-testid="dashboard"]:is([data-state="ready"], [data-state="error"])');
  };

  beforeAll(async () => {
    useDatabase(await ownDatabase('dashboard'));
    herald = await startHerald();
    key = (await herald.createWorkspace('dashboard')).apiKey;
    [browser] = await Promise.all([launchBrowser(), seedScenario(herald, key)]);
    // The reports may be kept incrementally: read until two reads agree, so the page sees the same figures.
    let previous = await reports(range);
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      api = await reports(range);
      if (JSON.stringify(api) === JSON.stringify(previous)) break;
      previous = api;
    }
  });

  afterAll(async () => {
    await browser?.close();
    await herald?.close();
  });

  it('should serve the page and its assets from Herald itself, under a strict CSP', async () => {
    const pageAnswer = await fetch(`${herald.baseUrl}/dashboard`);
    const html = await pageAnswer.text();
    expect(pageAnswer.status).toBe(200);
    expect(pageAnswer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = pageAnswer.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const assets = [...html.matchAll(/(?:src|href)="(dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(
      expect.arrayContaining(['dashboard/assets/chart.umd.min.js', 'dashboard/assets/dashboard.js']),
    );
    for (const asset of assets) {
      const answer = await fetch(`${herald.baseUrl}/${asset}`);
      expect([asset, answer.status, answer.headers.get('x-content-type-options')]).toEqual([asset, 200, 'nosniff']);
      const etag = answer.headers.get('etag')!;
      const again = await fetch(`${herald.baseUrl}/${asset}`, { headers: { 'if-none-match': etag } });
      expect([asset, again.status]).toEqual([asset, 304]);
    }
    for (const missing of ['nope.js', '..%2Fpackage.json', 'index.html', '.env']) {
      expect([missing, (await fetch(`${herald.baseUrl}/dashboard/assets/${missing}`)).status]).toEqual([missing, 404]);
    }
  });

  it("should show the API's own message for a key it refuses, and forget that key", async () => {
    const refused = await herald.request('GET', '/v1/reports/triggers', { key: 'hk_not_a_real_key' });
    expect(refused.status).toBe(401);
    const tab = await browser.open(`${herald.baseUrl}/dashboard`);
    await show(tab, 'hk_not_a_real_key', utcDay(6), utcDay(0));
    expect(await tab.getByTestId('dashboard').getAttribute('data-state')).toBe('error');
    expect(await tab.getByRole('alert').textContent()).toBe(refused.body.error.message);
    expect(await tab.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
    await mkdir(ARTIFACTS, { recursive: true });
    await tab.screenshot({ path: `${ARTIFACTS}dashboard-bad-key.png` });
    await tab.close();
  });

  it('should load the picked range with the pasted key, asking only this Herald', async () => {
    page = await browser.open(`${herald.baseUrl}/dashboard`);
    // The default range is the last 7 days.
    expect(await page.getByLabel('From').inputValue()).toBe(utcDay(6));
    expect(await page.getByLabel('To (inclusive)').inputValue()).toBe(utcDay(0));
    const before = browser.log.requests.length;
    await show(page, key, utcDay(1), utcDay(0));
    expect(await page.getByTestId('dashboard').getAttribute('data-state')).toBe('ready');
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });

    const calls = browser.log.requests.slice(before).filter((r) => r.url.includes('/v1/'));
    expect(calls.map((r) => new URL(r.url).pathname).sort()).toEqual([
      '/v1/reports/cascades',
      '/v1/reports/summary',
      '/v1/reports/triggers',
    ]);
    for (const call of calls) {
      const url = new URL(call.url);
      expect([url.searchParams.get('from'), url.searchParams.get('to')]).toEqual([range.from, range.to]);
      expect(call.authorization).toBe(`Bearer ${key}`);
    }
    expect(new URL(calls.find((c) => c.url.includes('summary'))!.url).searchParams.get('groupBy')).toBe('channel');
    // Every request the browser made went to Herald; the key stayed in this tab's sessionStorage.
    expect(browser.log.requests.filter((r) => !r.url.startsWith(`${herald.baseUrl}/`))).toEqual([]);
    const stored = await page.evaluate(() => {
      const { sessionStorage, localStorage } = globalThis as any;
      return [sessionStorage.getItem('herald.dashboard.apiKey'), localStorage.length];
    });
    expect(stored).toEqual([key, 0]);
  });

  describe('the summary report (GET /v1/reports/summary?groupBy=channel)', () => {
    it('should be answered by the API', () => {
      expect(api.summary.status).toBe(200);
      expect(api.summary.rows.length).toBeGreaterThan(0);
    });

    it('should show the funnel per channel with the same figures', async () => {
      const expected: Record<string, { text: string; value: string }> = {};
      for (const row of api.summary.rows) {
        const key = channelKey(row.key);
        for (const step of STEPS) expected[`funnel-${key}-${step}`] = shown(row[step]);
        expected[`funnel-${key}-deliveryRate`] = { text: percent(row.deliveryRate), value: raw(row.deliveryRate) };
        expected[`funnel-${key}-fallbackRate`] = { text: percent(row.fallbackRate), value: raw(row.fallbackRate) };
      }
      expect(await figures(page, 'funnel-')).toEqual(expected);
      const chart = await chartOf(page, 'funnel-chart');
      const values: Record<string, number> = {};
      for (const row of api.summary.rows)
        for (const step of STEPS.slice(0, 5)) values[`${title(step)}|${channelName(row.key)}`] = row[step];
      expect(chart.values).toEqual(values);
      expect(chart.painted).toBeGreaterThan(0.02);
    });

    it('should show the median time to deliver per channel', async () => {
      const expected: Record<string, { text: string; value: string }> = {};
      for (const row of api.summary.rows)
        expected[`timing-${channelKey(row.key)}-medianSecondsToDeliver`] = {
          text: seconds(row.medianSecondsToDeliver),
          value: raw(row.medianSecondsToDeliver),
        };
      expect(await figures(page, 'timing-')).toEqual(expected);
      const chart = await chartOf(page, 'timing-chart');
      expect(chart.values).toEqual(
        Object.fromEntries(
          api.summary.rows.map((r) => [`Median seconds to deliver|${channelName(r.key)}`, r.medianSecondsToDeliver]),
        ),
      );
      expect(chart.painted).toBeGreaterThan(0.01);
    });

    it('should show the cost per channel', async () => {
      const expected: Record<string, { text: string; value: string }> = {};
      for (const row of api.summary.rows)
        expected[`cost-${channelKey(row.key)}-amount`] = {
          text: `${row.cost.amount} ${row.cost.currency}`,
          value: row.cost.amount,
        };
      expect(await figures(page, 'cost-')).toEqual(expected);
      if (api.summary.rows.every((row) => Number(row.cost.amount) === 0)) {
        // Sandbox sends are free: a sentence instead of an empty chart.
        expect(await hasChart(page, 'cost')).toBe(false);
        expect(await page.locator('#cost .chart-note').textContent()).toMatch(/^Every send in this range cost 0 /);
      } else {
        const chart = await chartOf(page, 'cost-chart');
        expect(chart.values).toEqual(
          Object.fromEntries(
            api.summary.rows.map((r) => [`Cost (${r.cost.currency})|${channelName(r.key)}`, Number(r.cost.amount)]),
          ),
        );
        expect(chart.painted).toBeGreaterThan(0.01);
      }
    });
  });

  describe('the cascades report (GET /v1/reports/cascades)', () => {
    it('should be answered by the API, with the seeded WhatsApp → SMS paths', () => {
      expect(api.cascades.status).toBe(200);
      expect(api.cascades.rows.some((r) => r.path.join('>') === 'whatsapp>sms')).toBe(true);
    });

    it('should show each path by outcome with the same counts', async () => {
      const outcomes = [...new Set(api.cascades.rows.map((r) => r.outcome as string))];
      const paths = new Map<string, Record<string, number>>();
      for (const row of api.cascades.rows) {
        const path = paths.get(row.path.join('>')) ?? {};
        path[row.outcome] = (path[row.outcome] ?? 0) + row.count;
        paths.set(row.path.join('>'), path);
      }
      const expected: Record<string, { text: string; value: string }> = {};
      const chart: Record<string, number> = {};
      for (const [path, byOutcome] of paths) {
        const label = path ? path.split('>').map(channelName).join(' → ') : 'No attempt';
        for (const outcome of outcomes) {
          expected[`cascade-${path}-${outcome}`] = shown(byOutcome[outcome] ?? 0);
          chart[`${title(outcome)}|${label}`] = byOutcome[outcome] ?? 0;
        }
        expected[`cascade-${path}-total`] = shown(Object.values(byOutcome).reduce((a, b) => a + b, 0));
      }
      expect(await figures(page, 'cascade-')).toEqual(expected);
      const drawn = await chartOf(page, 'cascades-chart');
      expect(drawn.values).toEqual(chart);
      expect(drawn.painted).toBeGreaterThan(0.02);
    });
  });

  describe('the triggers report (GET /v1/reports/triggers)', () => {
    it('should hold the seeded trigger and broadcast', () => {
      expect(api.triggers.status).toBe(200);
      expect(api.triggers.rows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'trigger', name: 'Welcome series', sent: 3, converted: 1 }),
          expect.objectContaining({ type: 'broadcast', name: 'Spring sale', sent: 3, converted: 2 }),
        ]),
      );
    });

    it('should show sends and conversions per trigger and broadcast with the same figures', async () => {
      const expected: Record<string, { text: string; value: string }> = {};
      for (const row of api.triggers.rows) {
        expected[`triggers-${row.id}-type`] = { text: row.type, value: row.type };
        for (const figure of ['fired', 'suppressed', 'sent', 'delivered', 'failed', 'converted'])
          expected[`triggers-${row.id}-${figure}`] = shown(row[figure]);
        expected[`triggers-${row.id}-conversionRate`] = {
          text: percent(row.conversionRate),
          value: raw(row.conversionRate),
        };
      }
      expect(await figures(page, 'triggers-')).toEqual(expected);
      const capped = api.triggers.rows.find((r) => r.name === 'Welcome series');
      expect(await page.getByTestId(`triggers-${capped.id}-suppressed`).locator('xpath=..').textContent()).toContain(
        `cap ${capped.suppressedByReason.cap}`,
      );
      const chart: Record<string, number> = {};
      for (const row of api.triggers.rows) {
        const label = `${row.name} / ${row.type} · ${percent(row.conversionRate)} converted`;
        chart[`Sent|${label}`] = row.sent;
        chart[`Converted|${label}`] = row.converted;
      }
      const drawn = await chartOf(page, 'conversion-chart');
      expect(drawn.values).toEqual(chart);
      expect(drawn.painted).toBeGreaterThan(0.02);
    });
  });

  it('should say there are no messages in a range without any', async () => {
    const empty = rangeOf('2020-01-01', '2020-01-07');
    const quiet = await reports(empty);
    await show(page, key, '2020-01-01', '2020-01-07');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-empty.png`, fullPage: true });
    for (const card of ['funnel', 'timing', 'cost', 'cascades'])
      expect([card, await emptyNote(page, card)]).toEqual([card, 'No messages in this range.']);
    expect(quiet.summary).toEqual({ status: 200, rows: [] });
    expect(quiet.cascades).toEqual({ status: 200, rows: [] });
    // Triggers and broadcasts are listed with what they did in the range: nothing.
    const zeros = await figures(page, 'triggers-');
    for (const row of quiet.triggers.rows) expect(zeros[`triggers-${row.id}-sent`]).toEqual(shown(0));
    expect(await page.locator('#conversion .chart-note').textContent()).toBe(
      'No trigger or broadcast fired in this range.',
    );
    expect(await hasChart(page, 'conversion')).toBe(false);
  });

  it('should run without script errors or Content-Security-Policy refusals', () => {
    expect(browser.log.problems).toEqual([]);
  });
});
