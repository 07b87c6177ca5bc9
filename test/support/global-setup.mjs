// Runs outside Jest's module system, so it uses the compiled code (`npm test` builds first).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';
import { ensureDatabase } from '../../dist/src/database/ensure-database.js';
import { migrate } from '../../dist/src/database/migrate.js';

/**
 * The e2e suite runs against DATABASE_URL when it is set (CI), else against its own embedded PostgreSQL
 * in a temporary directory, so it passes on a machine with nothing installed. Migrations run once here.
 */
export default async function globalSetup() {
  let url = process.env.DATABASE_URL;
  let db = null;
  if (url) {
    await ensureDatabase(url);
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), 'herald-test-pg-'));
    db = await startEmbeddedPostgres(dir);
    url = db.url;
  }
  await migrate(url);
  process.env.DATABASE_URL = url;
  globalThis.__heraldTestDatabase = { db };
}
