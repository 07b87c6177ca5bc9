import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/config.js';
import { dataSourceOptions } from './data-source-options.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL, or to the embedded database. */
async function run(): Promise<void> {
  const config = loadConfig();
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(config.dataDir, (l) => console.log(`[herald] ${l}`));
  const db = new DataSource(dataSourceOptions(config.databaseUrl ?? embedded!.url, 2));
  try {
    await db.initialize();
    const applied = await db.runMigrations({ transaction: 'all' });
    console.log(`[herald] ${applied.length} migration(s) applied${applied.length ? `: ${applied.map((m) => m.name).join(', ')}` : ''}`);
  } finally {
    await db.destroy().catch(() => undefined);
    await embedded?.stop();
  }
}

run().catch((error: unknown) => {
  if (error instanceof ConfigError) for (const problem of error.problems) console.error(`[herald] configuration: ${problem}`);
  else console.error(`[herald] migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
