import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startHerald, type HttpAnswer, type TestHerald } from './support/herald.js';
import { ownDatabase, useDatabase } from './support/processes.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** API §10: health, readiness, Prometheus metrics, the OpenAPI document, and §2's error body and request ids. */
describe('operations endpoints', () => {
  let herald: TestHerald;
  let key: string;

  beforeAll(async () => {
    // Its own database: another test file's in-process worker must not dispatch (and count) this file's message.
    useDatabase(await ownDatabase('operations'));
    herald = await startHerald();
    key = (await herald.createWorkspace('operations')).apiKey;
  });
  afterAll(() => herald?.close());

  const expectRequestId = (answer: HttpAnswer): string => {
    const id = answer.headers.get('x-request-id');
    expect(id).toMatch(REQUEST_ID);
    return id!;
  };

  it('should answer liveness on GET /health', async () => {
    const answer = await herald.request('GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  it('should report database, migrations and providers up on GET /health/ready', async () => {
    const answer = await herald.request('GET', '/health/ready');
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ok');
    expect(answer.body.info).toMatchObject({
      database: { status: 'up' },
      migrations: { status: 'up', pending: false },
      providers: { status: 'up' },
    });
  });

  it('should expose Prometheus metrics for accepted and dispatched messages', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: { to: { phone: '+447700911999' }, channels: ['sms'], content: { text: 'metrics' } },
    });
    expect(sent.status).toBe(202);
    const message = await eventually(
      async () => (await herald.request('GET', `/v1/messages/${sent.body.id}`, { key })).body,
      (m) => m.status === 'delivered' || m.status === 'failed',
      20_000,
    );
    expect(message.status).toBe('delivered');

    const metrics = await herald.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = metrics.body as string;
    expect(text).toMatch(/^herald_messages_accepted_total\{first_channel="sms"\} [1-9]\d*$/m);
    expect(text).toMatch(/^herald_attempts_total\{channel="sms",status="submitted"\} [1-9]\d*$/m);
    expect(text).toMatch(/^herald_dispatch_latency_seconds_count\{channel="sms"\} [1-9]\d*$/m);
    expect(text).toMatch(/^herald_dispatch_latency_seconds_bucket\{le="\+Inf",channel="sms"\} [1-9]\d*$/m);
    expect(text).toMatch(/^herald_queue_depth \d+$/m);
    expect(text).toMatch(/^# TYPE herald_queue_depth gauge$/m);
  });

  it('should serve an OpenAPI document with the public paths on GET /docs-json', async () => {
    const answer = await herald.request('GET', '/docs-json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\./);
    expect(Object.keys(answer.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/messages',
        '/v1/messages/batch',
        '/v1/messages/{id}',
        '/v1/messages/{id}/cancel',
        '/v1/contacts/{externalId}',
        '/v1/contacts/{externalId}/export',
        '/v1/workspaces',
        '/v1/workspaces/{id}/keys',
        '/v1/keys/{keyId}',
        '/health',
        '/health/ready',
        '/v1/events',
        '/v1/integrations/segment',
        '/webhooks/shopify',
        '/v1/triggers',
        '/v1/triggers/{id}',
        '/v1/triggers/{id}/pause',
        '/v1/triggers/{id}/resume',
        '/v1/triggers/{id}/stats',
        '/v1/triggers/{id}/firings',
        '/v1/settings/frequency-cap',
        '/v1/broadcasts',
        '/v1/broadcasts/{id}',
        '/v1/broadcasts/{id}/cancel',
        '/v1/reports/triggers',
        '/v1/reports/summary',
        '/v1/reports/cascades',
        '/v1/reports/export.csv',
        '/v1/webhook-endpoint',
        '/v1/webhook-endpoint/deliveries',
      ]),
    );
    expect(Object.keys(answer.body.paths['/v1/triggers/{id}'])).toEqual(
      expect.arrayContaining(['get', 'patch', 'delete']),
    );
    expect(Object.keys(answer.body.paths['/v1/contacts/{externalId}'])).toEqual(
      expect.arrayContaining(['put', 'get', 'delete']),
    );
    expect(answer.body.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      basic: { type: 'http', scheme: 'basic' },
    });
  });

  it('should serve Swagger UI as HTML on GET /docs', async () => {
    const response = await fetch(`${herald.baseUrl}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('swagger');
  });

  it('should answer an unknown route with 404 and the error body', async () => {
    const answer = await herald.request('GET', '/v1/no-such-thing?x=1');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      error: { code: 'NOT_FOUND', message: expect.any(String), details: [], requestId: expectRequestId(answer) },
    });
    expect(answer.body.error.message).toContain('/v1/no-such-thing');
    expect(answer.body.error.message).not.toContain('x=1');
  });

  it('should answer a malformed or over-long path with 400 and the error body', async () => {
    for (const path of ['/v1/contacts/%E0%A4%A', `/v1/contacts/${'x'.repeat(300)}`]) {
      const answer = await herald.request('GET', path, { key });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: {
          code: 'VALIDATION_FAILED',
          message: expect.any(String),
          details: [{ field: 'path', issue: expect.any(String) }],
          requestId: expectRequestId(answer),
        },
      });
    }
  });

  it('should put the request id of the header into every error body', async () => {
    const answer = await herald.request('GET', '/v1/messages');
    expect(answer.status).toBe(401);
    expect(answer.body.error.requestId).toBe(expectRequestId(answer));
  });

  it('should send X-Request-Id on every response', async () => {
    const answers = await Promise.all([
      herald.request('GET', '/health'),
      herald.request('GET', '/health/ready'),
      herald.request('GET', '/metrics'),
      herald.request('GET', '/docs-json'),
      herald.request('GET', '/v1/messages', { key }),
      herald.request('GET', '/v1/messages'),
      herald.request('GET', '/nowhere'),
      herald.request('POST', '/v1/messages', { key, rawBody: '{"not json' }),
    ]);
    const ids = answers.map(expectRequestId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('should echo a sane X-Request-Id from the client and replace an unsafe one', async () => {
    const echoed = await herald.request('GET', '/health', { headers: { 'x-request-id': 'client-req.42:a' } });
    expect(echoed.headers.get('x-request-id')).toBe('client-req.42:a');
    const failed = await herald.request('GET', '/v1/messages', { headers: { 'x-request-id': 'client-req-43' } });
    expect(failed.body.error.requestId).toBe('client-req-43');
    const replaced = await herald.request('GET', '/health', { headers: { 'x-request-id': 'bad id <script>' } });
    expect(replaced.headers.get('x-request-id')).not.toBe('bad id <script>');
    expectRequestId(replaced);
  });
});

describe('readiness without the schema', () => {
  let herald: TestHerald;

  beforeAll(async () => {
    // A database nobody migrates: the API process (which does not migrate by itself) must not report ready.
    useDatabase(await ownDatabase('unmigrated', { migrate: false }));
    herald = await startHerald({ HERALD_ROLE: 'api' });
  });
  afterAll(() => herald?.close());

  it('should answer 503 NOT_READY naming the failed check while migrations are pending', async () => {
    const answer = await herald.request('GET', '/health/ready');
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({
      code: 'NOT_READY',
      details: [{ field: 'migrations', issue: 'migrations are pending' }],
      requestId: answer.headers.get('x-request-id'),
    });
    expect(answer.body.error.message).toContain('migrations');
    expect((await herald.request('GET', '/health')).status).toBe(200);
  });
});
