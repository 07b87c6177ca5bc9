import { ConfigError, loadConfig } from '../config/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { ensureDatabase } from './ensure-database.js';
import { migrate } from './migrate.js';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL, or to the embedded database. */
async function run(): Promise<void> {
  const config = loadConfig();
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres(config.dataDir, (l) => console.log(`[herald] ${l}`));
  try {
    // A fresh server (CI, a new deployment) may not have the database yet.
    if (config.databaseUrl) await ensureDatabase(config.databaseUrl);
    const applied = await migrate(config.databaseUrl ?? embedded!.url);
    console.log(`[herald] ${applied.length} migration(s) applied${applied.length ? `: ${applied.join(', ')}` : ''}`);
  } finally {
    await embedded?.stop();
  }
}

run().catch((error: unknown) => {
  if (error instanceof ConfigError)
    for (const problem of error.problems) console.error(`[herald] configuration: ${problem}`);
  else console.error(`[herald] migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
