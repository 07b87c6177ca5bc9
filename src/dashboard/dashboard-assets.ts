import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the dashboard serves, read once and kept in memory (the whole page is about 250 KB). */
export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page's own files sit beside this module in `public/` (`npm run build` copies them to
 * `dist/src/dashboard/public/`), so the same lookup works from `src/` under ts-jest and from `dist/` in production.
 */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** Chart.js's self-contained UMD build from node_modules: no CDN, and no bare `import` the browser cannot resolve. */
const CHART_JS = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

/** Names the browser may ask for under /dashboard/assets/: an allow-list built from the files, never a path. */
const ASSET_NAME = /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:js|css|svg)$/;

@Injectable()
export class DashboardAssets {
  private loaded: Promise<Map<string, DashboardAsset>> | null = null;

  /** The page itself. */
  async page(): Promise<DashboardAsset> {
    const page = (await this.all()).get('index.html');
    if (!page) throw new Error(`index.html is missing from ${PUBLIC_DIR}`);
    return page;
  }

  /** A script, style sheet or icon by file name, or null when there is no such asset. */
  async asset(name: string): Promise<DashboardAsset | null> {
    if (!ASSET_NAME.test(name)) return null;
    return (await this.all()).get(name) ?? null;
  }

  /**
   * Read on first use rather than at start-up: a worker process never serves the page, and a build that
   * forgot the copy step fails on /dashboard alone instead of stopping the gateway. A failed read is retried.
   */
  private all(): Promise<Map<string, DashboardAsset>> {
    this.loaded ??= load().catch((error: unknown) => {
      this.loaded = null;
      throw error;
    });
    return this.loaded;
  }
}

async function load(): Promise<Map<string, DashboardAsset>> {
  const files = new Map<string, string>();
  for (const name of await readdir(PUBLIC_DIR)) {
    if (name === 'index.html' || ASSET_NAME.test(name)) files.set(name, path.join(PUBLIC_DIR, name));
  }
  files.set('chart.umd.min.js', CHART_JS);
  const assets = new Map<string, DashboardAsset>();
  for (const [name, file] of files) {
    const body = await readFile(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    assets.set(name, { body, contentType: CONTENT_TYPES[path.extname(name)], etag });
  }
  return assets;
}
