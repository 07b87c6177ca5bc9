import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelSendError, type SendRequest } from '../channel.port.js';
import { TwilioSmsProvider, validityPeriodSeconds, type TwilioSmsConfig } from './twilio.adapter.js';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token';
const FROM = '+15017250604';
const SERVICE = 'MG0123456789abcdef0123456789abcdef';
const CALLBACK = 'https://herald.example.com/webhooks/twilio';
const NOW = new Date('2026-03-01T12:00:00Z');

const created = JSON.parse(
  readFileSync(
    new URL('../../../../test/fixtures/providers/twilio-create-message-response-201.json', import.meta.url),
    'utf8',
  ),
) as Record<string, unknown>;

/** Recipients that make the fake answer like Twilio does in those cases. */
const TO = {
  ok: '+14155552345',
  sent: '+14155550002',
  invalid: '+14155550021',
  limited: '+14155550429',
  unavailable: '+14155550503',
  hang: '+14155550999',
};

interface Received {
  path: string;
  contentType?: string;
  form: URLSearchParams;
}

/**
 * A fake Twilio that checks a request the way Twilio would (Basic auth, form fields, sender rules) and answers
 * in Twilio's wire format.
 */
class FakeTwilio {
  readonly received: Received[] = [];
  private server: Server;
  baseUrl = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    this.received.push({ path, contentType: req.headers['content-type'], form });
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const error = (status: number, code: number, message: string, headers?: Record<string, string>) =>
      reply(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);

    const expected = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return error(401, 20003, 'Authentication Error - invalid username');
    if (req.method !== 'POST' || !/^(\/prefix)?\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Messages\.json$/.test(path))
      return error(404, 20404, `The requested resource ${path} was not found`);
    if (!req.headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
      return error(400, 20001, 'Unsupported content type');
    const to = form.get('To');
    if (!to) return error(400, 21604, "A 'To' phone number is required.");
    if (form.has('From') === form.has('MessagingServiceSid'))
      return error(400, 21603, "Exactly one of 'From' and 'MessagingServiceSid' is required.");
    if (!form.get('Body')) return error(400, 21602, 'Message body is required.');
    if (!form.get('StatusCallback')) return error(400, 21609, 'StatusCallback is required by this fake.');
    const validity = form.get('ValidityPeriod');
    if (validity !== null && !(Number(validity) >= 1 && Number(validity) <= 36000))
      return error(400, 21623, 'ValidityPeriod out of range');

    if (to === TO.invalid) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (to === TO.limited) return error(429, 20429, 'Too Many Requests', { 'retry-after': '7' });
    if (to === TO.unavailable) return reply(503, '<html>Service Unavailable</html>', { 'content-type': 'text/html' });
    if (to === TO.hang) return; // never answers: the client's timeout must fire
    const viaService = form.has('MessagingServiceSid');
    reply(201, {
      ...created,
      to,
      body: form.get('Body'),
      from: viaService ? null : form.get('From'),
      status: to === TO.sent ? 'sent' : viaService ? 'accepted' : created.status,
      num_segments: viaService ? '0' : created.num_segments,
    });
  }
}

const fake = new FakeTwilio();
beforeAll(() => fake.start());
afterAll(() => fake.stop());
beforeEach(() => {
  fake.received.length = 0;
});

const provider = (overrides: Partial<TwilioSmsConfig> = {}) =>
  new TwilioSmsProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    from: FROM,
    baseUrl: fake.baseUrl,
    statusCallbackUrl: CALLBACK,
    timeoutMs: 2000,
    now: () => NOW,
    ...overrides,
  });

const request = (address: string, text = 'Hello! 👍', extra: Partial<SendRequest> = {}): SendRequest => ({
  attemptId: 'att-1',
  workspaceId: 'ws-1',
  channel: 'sms',
  address,
  content: { text },
  ...extra,
});

async function sendError(promise: Promise<unknown>): Promise<ChannelSendError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ChannelSendError);
  return error as ChannelSendError;
}

describe(TwilioSmsProvider.name, () => {
  it('should create the message with To, From, Body, StatusCallback and return Twilio’s sid', async () => {
    const result = await provider().send(request(TO.ok));

    expect(result).toMatchObject({ providerMessageId: created.sid, status: 'submitted', segments: 1 });
    expect(result.raw).toMatchObject({ sid: created.sid, status: 'queued', numSegments: '1' });
    expect(fake.received).toHaveLength(1);
    const [{ path, contentType, form }] = fake.received;
    expect(path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(form)).toEqual({ To: TO.ok, From: FROM, Body: 'Hello! 👍', StatusCallback: CALLBACK });
  });

  it('should send ValidityPeriod as the seconds left until validUntil', async () => {
    const validUntil = new Date(NOW.getTime() + 90 * 60_000);
    await provider().send(request(TO.ok, 'Hi', { validUntil }));
    expect(fake.received[0].form.get('ValidityPeriod')).toBe('5400');
  });

  it('should clamp ValidityPeriod to Twilio’s 1–36000 seconds', () => {
    expect(validityPeriodSeconds(new Date(NOW.getTime() + 86_400_000), NOW)).toBe(36000);
    expect(validityPeriodSeconds(new Date(NOW.getTime() - 5000), NOW)).toBe(1);
    expect(validityPeriodSeconds(new Date(NOW.getTime() + 1500), NOW)).toBe(2);
  });

  it('should send through a Messaging Service without From, and count segments when Twilio says 0', async () => {
    const text = 'a'.repeat(161);
    const result = await provider({ from: undefined, messagingServiceSid: SERVICE }).send(request(TO.ok, text));
    const { form } = fake.received[0];
    expect(form.get('MessagingServiceSid')).toBe(SERVICE);
    expect(form.has('From')).toBe(false);
    expect(result).toMatchObject({ providerMessageId: created.sid, status: 'submitted', segments: 2 });
  });

  it('should report sent when Twilio answers sent', async () => {
    await expect(provider().send(request(TO.sent))).resolves.toMatchObject({ status: 'sent' });
  });

  it('should keep a path prefix of the base URL', async () => {
    await provider({ baseUrl: `${fake.baseUrl}/prefix/` }).send(request(TO.ok));
    expect(fake.received[0].path).toBe(`/prefix/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
  });

  it('should classify 21211 as a permanent INVALID_ADDRESS with Twilio’s code and message', async () => {
    const error = await sendError(provider().send(request(TO.invalid)));
    expect(error.error).toEqual({
      kind: 'INVALID_ADDRESS',
      code: '21211',
      message: `The 'To' number ${TO.invalid} is not a valid phone number.`,
      permanent: true,
    });
  });

  it('should classify 429 as RATE_LIMITED with the Retry-After seconds', async () => {
    const error = await sendError(provider().send(request(TO.limited)));
    expect(error.error).toMatchObject({ kind: 'RATE_LIMITED', code: '20429', permanent: false, retryAfterSeconds: 7 });
  });

  it('should classify 503 as TEMPORARY', async () => {
    const error = await sendError(provider().send(request(TO.unavailable)));
    expect(error.error).toMatchObject({ kind: 'TEMPORARY', code: 'HTTP_503', permanent: false });
  });

  it('should classify wrong credentials as AUTH', async () => {
    const error = await sendError(provider({ authToken: 'wrong' }).send(request(TO.ok)));
    expect(error.error).toMatchObject({ kind: 'AUTH', code: '20003', permanent: false });
  });

  it('should classify a timeout and a refused connection as TEMPORARY', async () => {
    const timedOut = await sendError(provider({ timeoutMs: 200 }).send(request(TO.hang)));
    expect(timedOut.error).toMatchObject({ kind: 'TEMPORARY', permanent: false });
    const refused = await sendError(provider({ baseUrl: 'http://127.0.0.1:1' }).send(request(TO.ok)));
    expect(refused.error).toMatchObject({ kind: 'TEMPORARY', code: 'ECONNREFUSED' });
  });

  it('should refuse a non-E.164 address or an empty text without calling Twilio', async () => {
    expect((await sendError(provider().send(request('07700 900123')))).error).toMatchObject({
      kind: 'INVALID_ADDRESS',
      permanent: true,
    });
    expect((await sendError(provider().send(request(TO.ok, '')))).error).toMatchObject({
      kind: 'CONTENT_REJECTED',
      permanent: true,
    });
    expect(fake.received).toHaveLength(0);
  });

  it('should need a sender', () => {
    expect(() => provider({ from: undefined })).toThrow(/TWILIO_FROM/);
  });
});
