import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { ownDatabase, useDatabase } from './support/processes.js';

/** A provider that answers 503 until told to recover. */
describe('a provider outage', () => {
  let herald: TestHerald;
  let key: string;
  let healthy = false;
  let calls = 0;
  let meta: http.Server;

  beforeAll(async () => {
    useDatabase(await ownDatabase('outage'));
    meta = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        calls++;
        if (!healthy)
          return res
            .writeHead(503, { 'content-type': 'application/json' })
            .end('{"error":{"code":131000,"message":"Something went wrong"}}');
        const to = JSON.parse(body).to as string;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ messages: [{ id: `wamid.${to}` }] }));
      });
    });
    await new Promise<void>((resolve) => meta.listen(0, '127.0.0.1', resolve));
    herald = await startHerald({
      WHATSAPP_ACCESS_TOKEN: 'token',
      WHATSAPP_PHONE_NUMBER_ID: '1234567890',
      WHATSAPP_GRAPH_URL: `http://127.0.0.1:${(meta.address() as { port: number }).port}`,
      HERALD_BREAKER_VOLUME: '3',
      HERALD_BREAKER_RESET: '1s',
    });
    key = (await herald.createWorkspace('outage')).apiKey;
  });

  afterAll(async () => {
    await herald?.close();
    await new Promise((resolve) => meta?.close(resolve));
  });

  const message = (id: string) => herald.request('GET', `/v1/messages/${id}`, { key }).then((r) => r.body);
  const send = (i: number) =>
    herald.request('POST', '/v1/messages', {
      key,
      body: {
        to: { phone: `+4477009004${String(i).padStart(2, '0')}` },
        channels: ['whatsapp', 'sms'],
        content: { text: 'Hi' },
      },
    });

  it('should open the breaker, fall back to SMS while it is open, lose nothing, and use WhatsApp again after recovery', async () => {
    const ids = (await Promise.all(Array.from({ length: 8 }, (_, i) => send(i)))).map((r) => r.body.id as string);
    const ended = await eventually(
      () => Promise.all(ids.map(message)),
      (all) => all.every((m) => m.status === 'delivered'),
      30_000,
    );
    for (const m of ended) {
      expect(m.channel).toBe('sms');
      expect(m.attempts.map((a: { channel: string; status: string }) => [a.channel, a.status])).toEqual([
        ['whatsapp', 'failed'],
        ['sms', 'delivered'],
      ]);
    }
    // Once open, the breaker spared the provider: far fewer calls than messages × tries.
    expect(calls).toBeLessThan(8 * 5);
    const refused = ended.filter((m) => m.attempts[0].error.code === 'EOPENBREAKER');
    expect(refused.length).toBeGreaterThan(0);

    healthy = true;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const after = await send(50);
    const recovered = await eventually(
      () => message(after.body.id),
      (m) => m.attempts[0]?.status === 'submitted',
    );
    expect([recovered.attempts[0].channel, recovered.attempts[0].providerMessageId]).toEqual([
      'whatsapp',
      'wamid.447700900450',
    ]);
    const ready = await eventually(
      () => herald.request('GET', '/health/ready'),
      (r) => r.status === 200,
    );
    expect(ready.status).toBe(200);
    const metrics = await herald.request('GET', '/metrics');
    expect(metrics.body).toContain(
      'herald_provider_breaker_open{channel="whatsapp",provider="whatsapp-cloud",state="closed"} 0',
    );
  });
});
