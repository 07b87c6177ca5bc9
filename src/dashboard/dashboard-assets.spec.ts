import { describe, expect, it } from '@jest/globals';
import { DashboardAssets } from './dashboard-assets.js';

describe(DashboardAssets.name, () => {
  const assets = new DashboardAssets();

  it('should serve the page with every script and style sheet it names', async () => {
    const page = await assets.page();
    expect(page.contentType).toBe('text/html; charset=utf-8');
    const named = [...page.body.toString('utf8').matchAll(/(?:src|href)="dashboard\/assets\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(named).toEqual(expect.arrayContaining(['chart.umd.min.js', 'dashboard.js', 'dashboard.css']));
    for (const name of named) expect([name, (await assets.asset(name))?.body.length ?? 0]).not.toEqual([name, 0]);
  });

  it("should serve Chart.js's UMD build from node_modules as JavaScript", async () => {
    const chart = await assets.asset('chart.umd.min.js');
    expect(chart?.contentType).toBe('text/javascript; charset=utf-8');
    expect(chart?.body.toString('utf8', 0, 200)).toContain('Chart.js');
  });

  it('should refuse names outside the allow-list, paths first', async () => {
    for (const name of ['../package.json', '..%2Fpackage.json', 'index.html', '.env', 'DASHBOARD.JS', 'missing.js'])
      expect([name, await assets.asset(name)]).toEqual([name, null]);
  });

  it('should give each file an ETag that changes with its bytes', async () => {
    const [js, css] = await Promise.all([assets.asset('dashboard.js'), assets.asset('dashboard.css')]);
    expect(js?.etag).toMatch(/^"[\w-]{27}"$/);
    expect(js?.etag).not.toBe(css?.etag);
  });
});
