import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The network here is closed: nothing that phones home, and a fresh profile per run. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** What the page did that a test may want to refuse: script errors, CSP refusals, requests it sent. */
export interface PageLog {
  problems: string[];
  requests: { url: string; authorization: string | null }[];
}

export interface Browser {
  context: BrowserContext;
  log: PageLog;
  /** A new tab (so a new sessionStorage) on `url`. */
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium in UTC (the page's days are the browser's), English, at a desktop size. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'herald-chromium-'));
  // launchPersistentContext is how Playwright takes a --user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timezoneId: 'UTC',
    locale: 'en-US',
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  const log: PageLog = { problems: [], requests: [] };
  context.on('request', (request) =>
    log.requests.push({ url: request.url(), authorization: request.headers()['authorization'] ?? null }),
  );
  context.on('console', (message) => {
    // A 401 or a missing route logs "Failed to load resource"; the page shows those itself, and tests check it.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      log.problems.push(`console: ${message.text()}`);
  });
  context.on('weberror', (error) => log.problems.push(`page error: ${error.error().message}`));
  return {
    context,
    log,
    async open(url) {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(url);
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// The callbacks below run in the page; this project compiles without the DOM library, so they read the page
// through `globalThis` (typed loosely) rather than `document`.

/** Every element with a data-value (a figure the API gave): testid → the text shown and the raw value. */
export async function figures(page: Page, prefix: string): Promise<Record<string, { text: string; value: string }>> {
  return page.$$eval(
    '[data-testid][data-value]',
    (elements, wanted) =>
      Object.fromEntries(
        elements
          .map((e: any) => ({ testid: e.dataset.testid as string, text: e.textContent.trim(), value: e.dataset.value }))
          .filter((f) => f.testid.startsWith(wanted))
          .map((f) => [f.testid, { text: f.text as string, value: f.value as string }]),
      ),
    prefix,
  );
}

/**
 * A chart as Chart.js holds it: `dataset label|category label` → value (a two-line label joined by " / "),
 * and the share of its canvas that is painted.
 */
export async function chartOf(
  page: Page,
  id: string,
): Promise<{ values: Record<string, number | null>; painted: number }> {
  return page.evaluate((canvasId) => {
    const canvas = (globalThis as any).document.getElementById(canvasId);
    if (!canvas) throw new Error(`no canvas #${canvasId}`);
    const chart = (globalThis as any).Chart.getChart(canvas);
    if (!chart) throw new Error(`no chart on #${canvasId}`);
    const values: Record<string, number | null> = {};
    for (const dataset of chart.data.datasets)
      chart.data.labels.forEach((label: string | string[], i: number) => {
        values[`${dataset.label}|${Array.isArray(label) ? label.join(' / ') : label}`] = dataset.data[i];
      });
    const pixels: Uint8ClampedArray = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
    return { values, painted: painted / (pixels.length / 4) };
  }, id);
}

/** The text of card `id`'s "nothing to show" line, or, when it has none, everything the card says. */
export async function emptyNote(page: Page, id: string): Promise<string> {
  return page.evaluate((card) => {
    const { document } = globalThis as any;
    return (
      document.querySelector(`[data-testid="${card}-empty"]`) ?? document.getElementById(card)
    ).textContent.trim();
  }, id);
}

/** Whether card `id` holds a canvas. */
export const hasChart = (page: Page, id: string): Promise<boolean> =>
  page.evaluate((card) => (globalThis as any).document.querySelector(`#${card} canvas`) !== null, id);
