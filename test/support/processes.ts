import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../../src/database/migrate.js';
import { eventually } from './herald.js';

/** The built entry point: child processes run what `npm start` runs (the suite builds first). */
export const MAIN_JS = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

/** Fast clocks and small batches for worker processes, so a kill lands in the middle of the work. */
export const WORKER_ENV: Record<string, string> = {
  HERALD_ROLE: 'worker',
  HERALD_SANDBOX_STEP: '50ms',
  HERALD_POLL_INTERVAL: '20ms',
  HERALD_RETRY_BASE: '100ms',
  HERALD_DISPATCH_CONCURRENCY: '4',
  HERALD_DISPATCH_BATCH: '20',
  HERALD_CLAIM_LEASE: '3s',
  LOG_LEVEL: 'silent',
};

/**
 * A fresh database of this test file's own (dropped and re-created on every run, then migrated unless told
 * not to). Every `worker` process claims due work from its whole database, so tests that count what workers
 * did must not share one with in-process apps of other test files (which would take part of the work) or let
 * their workers serve those files. Re-creating it also keeps its schema equal to the current migrations.
 */
export async function ownDatabase(suffix: string, options: { migrate?: boolean } = {}): Promise<string> {
  const shared = process.env.DATABASE_URL;
  if (!shared) throw new Error('DATABASE_URL is not set: the e2e global setup did not run');
  const url = new URL(shared);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_${suffix}`;
  url.pathname = `/${name}`;
  const admin = new URL(shared);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const quoted = `"${name.replaceAll('"', '""')}"`;
    // FORCE: a worker left over from an aborted run may still be connected.
    await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quoted}`);
  } finally {
    await client.end();
  }
  if (options.migrate ?? true) await migrate(url.toString());
  return url.toString();
}

/**
 * Points `startHerald` at `databaseUrl` for the rest of this test file. Jest gives every test file its own
 * copy of `process.env`, so other files keep the shared database.
 */
export function useDatabase(databaseUrl: string): void {
  process.env.DATABASE_URL = databaseUrl;
}

/** `url` with a PostgreSQL application_name, which shows in pg_stat_activity and current_setting(). */
export function withApplicationName(url: string, name: string): string {
  const named = new URL(url);
  named.searchParams.set('application_name', name);
  return named.toString();
}

/** A `node dist/src/main.js` child process; its output is kept for failure messages. */
export class HeraldProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private out = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [MAIN_JS], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** A worker with WORKER_ENV against `databaseUrl`. */
  static worker(databaseUrl: string, env: Record<string, string> = {}): HeraldProcess {
    return new HeraldProcess({ ...WORKER_ENV, ...env, DATABASE_URL: databaseUrl });
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the worker says it has started; throws with its output if it exits or takes too long. */
  async started(timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => this.out,
      (out) => out.includes('worker started') || !this.running,
      timeoutMs,
    );
    if (!this.out.includes('worker started') || !this.running) throw new Error(`worker did not start:\n${this.out}`);
  }

  /** SIGKILL: no shutdown hook runs, claims and in-flight attempts stay as they are. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful), then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Stops every process still running (afterAll): a failed test must not leave workers behind. */
export async function stopAll(processes: HeraldProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop(5_000)));
}

/** A small pg pool for reading (and, for test-only audit tables, writing) the database directly. */
export function sql(databaseUrl: string): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl, max: 2 });
}

/** `count(*)` of a query, as a number. */
export async function count(pool: pg.Pool, query: string, params: unknown[] = []): Promise<number> {
  const result = await pool.query<{ n: string }>(query, params);
  return Number(result.rows[0].n);
}

/** Distinct addresses whose last four digits (1000 and up) make the sandbox deliver (for i < 8999). */
export const deliverablePhone = (i: number): string => `+4477009${11_000 + i}`;
export const deliverableEmail = (i: number): string => `reader.${11_000 + i}@example.com`;
