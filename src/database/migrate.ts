import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';

const MIGRATION_LOCK = 0x48_45_52_41; // "HERA": one process migrates at a time

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so an API and several workers starting
 * together do not race to create the same tables. Returns the names of the migrations applied.
 */
export async function migrate(url: string): Promise<string[]> {
  const db = new DataSource(dataSourceOptions(url, 1));
  await db.initialize();
  try {
    await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const applied = await db.runMigrations({ transaction: 'all' });
      return applied.map((m) => m.name);
    } finally {
      await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await db.destroy();
  }
}
