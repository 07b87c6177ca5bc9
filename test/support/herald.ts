import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';

export const ADMIN_TOKEN = 'test-admin-token';

/** Fast clocks for tests: the sandbox reports every 50 ms, idle workers poll every 20 ms, retries start at 100 ms. */
export const TEST_ENV: Record<string, string> = {
  HERALD_SANDBOX_STEP: '50ms',
  HERALD_POLL_INTERVAL: '20ms',
  HERALD_RETRY_BASE: '100ms',
  HERALD_SHUTDOWN_GRACE: '2s',
  HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
  LOG_LEVEL: 'silent',
};

export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestHerald {
  app: NestFastifyApplication;
  baseUrl: string;
  databaseUrl: string;
  request<T = any>(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; key?: string; headers?: Record<string, string> },
  ): Promise<HttpAnswer<T>>;
  /** A fresh workspace (tests never truncate tables: each works in its own workspace). */
  createWorkspace(name?: string): Promise<{ id: string; apiKey: string }>;
  close(): Promise<void>;
}

/** Starts Herald (role `all` unless overridden) on a random port against the test database. */
export async function startHerald(env: Record<string, string> = {}): Promise<TestHerald> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set: the e2e global setup did not run');
  const config = loadConfig({ ...process.env, ...TEST_ENV, ...env, DATABASE_URL: databaseUrl });
  const app = await createHttpApp(config, databaseUrl);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const request: TestHerald['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    } else if (body !== undefined) {
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (metrics, docs)
    }
    return { status: response.status, headers: response.headers, body: parsed as any };
  };

  return {
    app,
    baseUrl,
    databaseUrl,
    request,
    async createWorkspace(name = 'test') {
      const answer = await request('POST', '/v1/workspaces', { body: { name }, key: ADMIN_TOKEN });
      if (answer.status !== 201)
        throw new Error(`workspace creation failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return { id: answer.body.id, apiKey: answer.body.apiKey };
    },
    close: () => app.close(),
  };
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value read. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    value = await read();
  }
  return value;
}
