import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../src/database/embedded-postgres.js';
import { eventually } from './support/herald.js';
import { HeraldProcess } from './support/processes.js';

const ADMIN = 'logging-admin-token-0b9f';
const PHONE = '+447700900123';
const EMAIL = 'ana.logcheck@example.com';
const BODY_MARKER = 'Secret-order-text-7731';

/** Quality bar: no phone number, email address, message body or secret ever reaches a log line. */
describe('logs', () => {
  let herald: HeraldProcess;
  let base: string;
  let apiKey = '';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    herald = new HeraldProcess({
      PORT: String(port),
      HERALD_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'trace',
      HERALD_SANDBOX_STEP: '50ms',
      HERALD_POLL_INTERVAL: '20ms',
    });
    await eventually(
      async () => herald.output,
      (out) => out.includes('API listening') || !herald.running,
      30_000,
    );
    if (!herald.output.includes('API listening')) throw new Error(`Herald did not start:\n${herald.output}`);
  });
  afterAll(() => herald.stop());

  it('should keep addresses, bodies and keys out of every log line, whatever the request', async () => {
    const post = (path: string, body: unknown, key: string, method = 'POST') =>
      fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = (await (await post('/v1/workspaces', { name: 'logs' }, ADMIN)).json()) as any;
    apiKey = created.apiKey;
    expect(
      (
        await post(
          `/v1/contacts/${encodeURIComponent(EMAIL)}`,
          { phone: PHONE, email: EMAIL, attributes: { note: BODY_MARKER } },
          apiKey,
          'PUT',
        )
      ).status,
    ).toBe(200);
    const sent = (await (
      await post(
        '/v1/messages',
        {
          to: { contactId: EMAIL },
          channels: ['sms', 'email'],
          content: { text: `Hi ${BODY_MARKER}`, email: { subject: BODY_MARKER } },
        },
        apiKey,
      )
    ).json()) as any;
    // Bad input that echoes personal data in the body must not have it logged either.
    expect(
      (
        await post(
          '/v1/messages',
          { to: { phone: `${PHONE}x` }, channels: ['sms'], content: { text: BODY_MARKER } },
          apiKey,
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await fetch(`${base}/v1/messages?reference=${encodeURIComponent(EMAIL)}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).status,
    ).toBe(200);
    expect((await post('/v1/messages', { to: { email: EMAIL } }, 'hk_wrong-key')).status).toBe(401);
    const delivered = await eventually(
      async () =>
        (
          (await (
            await fetch(`${base}/v1/messages/${sent.id}`, { headers: { authorization: `Bearer ${apiKey}` } })
          ).json()) as any
        ).status,
      (status) => status === 'delivered',
      20_000,
    );
    expect(delivered).toBe('delivered');
    await herald.stop();

    const output = herald.output;
    expect(output).toContain('"msg":"request completed"');
    for (const secret of [
      PHONE,
      PHONE.slice(1),
      '7700900123',
      EMAIL,
      encodeURIComponent(EMAIL),
      BODY_MARKER,
      apiKey,
      ADMIN,
    ]) {
      expect([secret, output.includes(secret)]).toEqual([secret, false]);
    }
  });
});
