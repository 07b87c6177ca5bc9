import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import twilio from 'twilio';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { ownDatabase, useDatabase } from './support/processes.js';

const TWILIO_SID = 'AC' + 'a'.repeat(32);
const TWILIO_TOKEN = 'twilio-test-token';
const META_TOKEN = 'meta-test-token';
const META_SECRET = 'meta-app-secret';
const VIBER_TOKEN = 'viber-test-token';
const BIG_TOKEN = '9223372036854775807'; // above 2^53: plain JSON.parse would change it

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server standing in for a provider: it records every request and answers with `answer`. */
async function fakeProvider(answer: (seen: Seen) => { status: number; body: string; type?: string }) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = { path: req.url ?? '', headers: req.headers, body };
      seen.push(request);
      const reply = answer(request);
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json' }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { seen, url: `http://127.0.0.1:${address.port}`, close: () => new Promise((r) => server.close(r)) };
}

describe('real adapters behind the send API', () => {
  let herald: TestHerald;
  let key: string;
  let meta: Awaited<ReturnType<typeof fakeProvider>>;
  let viber: Awaited<ReturnType<typeof fakeProvider>>;
  let twilioFake: Awaited<ReturnType<typeof fakeProvider>>;
  let sidCount = 0;

  beforeAll(async () => {
    // Its own database: other test files' in-process dispatchers use the sandbox for every channel.
    useDatabase(await ownDatabase('adapters'));
    meta = await fakeProvider((req) => {
      if (req.headers.authorization !== `Bearer ${META_TOKEN}`)
        return { status: 401, body: '{"error":{"code":190,"message":"bad token"}}' };
      const to = JSON.parse(req.body).to as string;
      if (to.endsWith('0006')) {
        return {
          status: 400,
          body: JSON.stringify({ error: { code: 131026, message: 'Message undeliverable', type: 'OAuthException' } }),
        };
      }
      return {
        status: 200,
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          contacts: [{ input: to, wa_id: to }],
          messages: [{ id: `wamid.${to}` }],
        }),
      };
    });
    viber = await fakeProvider((req) => {
      if (req.headers['x-viber-auth-token'] !== VIBER_TOKEN)
        return { status: 200, body: '{"status":2,"status_message":"invalidAuthToken"}' };
      const receiver = JSON.parse(req.body).receiver as string;
      if (receiver.endsWith('0006')) return { status: 200, body: '{"status":6,"status_message":"notSubscribed"}' };
      return {
        status: 200,
        body: `{"status":0,"status_message":"ok","message_token":${BIG_TOKEN},"chat_hostname":"SN-CHAT-01_"}`,
      };
    });
    twilioFake = await fakeProvider((req) => {
      const basic = `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`;
      if (req.headers.authorization !== basic)
        return { status: 401, body: '{"code":20003,"message":"Authenticate","status":401}' };
      const form = new URLSearchParams(req.body);
      const sid = `SM${String(++sidCount).padStart(32, '0')}`;
      return {
        status: 201,
        body: JSON.stringify({
          sid,
          status: 'queued',
          to: form.get('To'),
          from: form.get('From'),
          num_segments: '1',
          body: form.get('Body'),
        }),
      };
    });
    herald = await startHerald({
      WHATSAPP_ACCESS_TOKEN: META_TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: '1234567890',
      WHATSAPP_APP_SECRET: META_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'meta-verify',
      WHATSAPP_GRAPH_URL: meta.url,
      VIBER_AUTH_TOKEN: VIBER_TOKEN,
      VIBER_SENDER_NAME: 'Herald',
      VIBER_BASE_URL: `${viber.url}/pa`,
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: twilioFake.url,
      PUBLIC_URL: 'https://herald.example',
    });
    key = (await herald.createWorkspace('adapters')).apiKey;
  });

  afterAll(async () => {
    await herald?.close();
    await Promise.all([meta?.close(), viber?.close(), twilioFake?.close()]);
  });

  const message = (id: string) => herald.request('GET', `/v1/messages/${id}`, { key }).then((r) => r.body);

  /** Posts a Twilio status callback signed the way Twilio signs it (URL = PUBLIC_URL + path). */
  const twilioCallback = (params: Record<string, string>, signature?: string) => {
    const sig =
      signature ?? twilio.getExpectedTwilioSignature(TWILIO_TOKEN, 'https://herald.example/webhooks/twilio', params);
    return herald.request('POST', '/webhooks/twilio', {
      rawBody: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
    });
  };

  /** Posts a WhatsApp Cloud API notification with one `messages` change, signed with the app secret. */
  const postWhatsApp = (value: Record<string, unknown>) => {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA', changes: [{ field: 'messages', value }] }],
    });
    const signature = `sha256=${createHmac('sha256', META_SECRET).update(body).digest('hex')}`;
    return herald.request('POST', '/webhooks/whatsapp', {
      rawBody: body,
      headers: { 'x-hub-signature-256': signature },
    });
  };

  it('should cascade WhatsApp (131026) → Viber (status 6) → SMS, delivered by a signed Twilio callback', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: {
        to: { phone: '+447700900006', viberId: 'viber-user-0006' },
        channels: ['whatsapp', 'viber', 'sms'],
        content: { text: 'Your parcel is on its way' },
      },
    });
    expect(sent.status).toBe(202);
    const submitted = await eventually(
      () => message(sent.body.id),
      (m) =>
        m.attempts.some((a: { channel: string; status: string }) => a.channel === 'sms' && a.status === 'submitted'),
    );
    const sms = submitted.attempts.find((a: { channel: string }) => a.channel === 'sms');
    expect(sms.provider).toBe('twilio');
    expect(sms.providerMessageId).toMatch(/^SM\d{32}$/);
    // Each fake got exactly one request, valid for the real API.
    expect(meta.seen.filter((r) => r.body.includes('447700900006'))).toHaveLength(1);
    expect(JSON.parse(meta.seen.at(-1)!.body)).toMatchObject({
      messaging_product: 'whatsapp',
      type: 'text',
      text: { body: 'Your parcel is on its way' },
    });
    expect(viber.seen.filter((r) => r.body.includes('viber-user-0006'))).toHaveLength(1);
    const form = new URLSearchParams(twilioFake.seen.at(-1)!.body);
    expect([form.get('To'), form.get('From'), form.get('StatusCallback')]).toEqual([
      '+447700900006',
      '+15005550006',
      'https://herald.example/webhooks/twilio',
    ]);
    // The default validity (24 h) is passed on, clamped to Twilio's 36000 s maximum.
    expect(form.get('ValidityPeriod')).toBe('36000');

    const params = {
      AccountSid: TWILIO_SID,
      MessageSid: sms.providerMessageId,
      MessageStatus: 'delivered',
      SmsStatus: 'delivered',
    };
    expect((await twilioCallback(params)).status).toBe(200);
    const delivered = await eventually(
      () => message(sent.body.id),
      (m) => m.status === 'delivered',
    );
    expect(
      delivered.attempts.map((a: { channel: string; status: string; error?: { code: string } }) => [
        a.channel,
        a.status,
        a.error?.code,
      ]),
    ).toEqual([
      ['whatsapp', 'skipped', '131026'],
      ['viber', 'skipped', '6'],
      ['sms', 'delivered', undefined],
    ]);
    // Priced from the workspace's rate card (the shipped example card): one GB segment.
    expect([delivered.attempts[2].segments, delivered.attempts[2].cost]).toEqual([
      1,
      { amount: '0.0463', currency: 'USD' },
    ]);
  });

  it('should refuse a forged callback with 401 and change nothing, and ignore a replayed one', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: { to: { phone: '+447700900123' }, channels: ['sms'], content: { text: 'Hi' } },
    });
    const submitted = await eventually(
      () => message(sent.body.id),
      (m) => m.attempts[0]?.status === 'submitted',
    );
    const params = {
      AccountSid: TWILIO_SID,
      MessageSid: submitted.attempts[0].providerMessageId,
      MessageStatus: 'failed',
      ErrorCode: '30003',
    };
    const forged = await twilioCallback(params, 'bm90IGEgc2lnbmF0dXJl');
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('UNAUTHORIZED');
    const unchanged = await message(sent.body.id);
    expect([unchanged.status, unchanged.attempts[0].status]).toEqual(['sending', 'submitted']);

    const delivered = { ...params, MessageStatus: 'delivered' };
    delete (delivered as Record<string, string>).ErrorCode;
    expect((await twilioCallback(delivered)).status).toBe(200);
    await eventually(
      () => message(sent.body.id),
      (m) => m.status === 'delivered',
    );
    const eventsBefore = (await message(sent.body.id)).events.length;
    expect((await twilioCallback(delivered)).status).toBe(200);
    expect((await twilioCallback(params)).status).toBe(200);
    const after = await message(sent.body.id);
    expect([after.status, after.attempts[0].status, after.attempts.length]).toEqual(['delivered', 'delivered', 1]);
    // The replayed delivery adds nothing; the late failure is only recorded as ignored.
    expect(after.events.slice(eventsBefore).map((e: { type: string }) => e.type)).toEqual(['report.ignored']);
  });

  it('should keep a Viber message_token above 2^53 exact from the send answer to the delivered callback', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: { to: { viberId: 'viber-user-0100' }, channels: ['viber'], content: { text: 'Hi' } },
    });
    const submitted = await eventually(
      () => message(sent.body.id),
      (m) => m.attempts[0]?.status === 'submitted',
    );
    expect(submitted.attempts[0].providerMessageId).toBe(BIG_TOKEN);
    const body = `{"event":"delivered","timestamp":1457764197627,"chat_hostname":"SN-CHAT-01_","message_token":${BIG_TOKEN},"user_id":"viber-user-0100"}`;
    const signature = createHmac('sha256', VIBER_TOKEN).update(body).digest('hex');
    const wrong = await herald.request('POST', '/webhooks/viber', {
      rawBody: body,
      headers: { 'x-viber-content-signature': '0'.repeat(64) },
    });
    expect(wrong.status).toBe(401);
    // Signature first: a forged body that is not even JSON is refused the same way, not parsed.
    const garbage = await herald.request('POST', '/webhooks/viber', {
      rawBody: '{not json',
      headers: { 'x-viber-content-signature': '0'.repeat(64) },
    });
    expect([garbage.status, garbage.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    const ok = await herald.request('POST', '/webhooks/viber', {
      rawBody: body,
      headers: { 'x-viber-content-signature': signature },
    });
    expect(ok.status).toBe(200);
    const delivered = await eventually(
      () => message(sent.body.id),
      (m) => m.status === 'delivered',
    );
    expect([delivered.attempts[0].provider, delivered.attempts[0].providerMessageId]).toEqual(['viber', BIG_TOKEN]);
  });

  it('should answer a signed WhatsApp read receipt and Meta’s verification handshake', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: { to: { phone: '+447700900200' }, channels: ['whatsapp'], content: { text: 'Hi' } },
    });
    const submitted = await eventually(
      () => message(sent.body.id),
      (m) => m.attempts[0]?.status === 'submitted',
    );
    expect(submitted.attempts[0].providerMessageId).toBe('wamid.447700900200');
    const statuses = ['delivered', 'read'].map((status, i) => ({
      id: 'wamid.447700900200',
      status,
      timestamp: String(1764770000 + i),
      recipient_id: '447700900200',
    }));
    const posted = await postWhatsApp({
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550000000', phone_number_id: '1234567890' },
      statuses,
    });
    expect(posted.status).toBe(200);
    const read = await eventually(
      () => message(sent.body.id),
      (m) => m.status === 'read',
    );
    expect(read.attempts[0].status).toBe('read');
    // Free-form text only goes out inside the customer-service window, which Meta does not charge.
    expect(read.attempts[0].cost).toEqual({ amount: '0', currency: 'USD' });
    const handshake = (token: string) =>
      herald.request('GET', `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
    expect([(await handshake('meta-verify')).status, (await handshake('meta-verify')).body]).toEqual([200, 1158201444]);
    expect((await handshake('wrong')).status).toBe(401);
  });
  it('should file inbound replies, honour STOP/START on SMS, open the WhatsApp window and take Viber unsubscribes', async () => {
    const put = await herald.request('PUT', '/v1/contacts/inbound-1', {
      key,
      body: { phone: '+447700900777', viberId: 'viber-user-0777' },
    });
    expect(put.status).toBe(200);
    const inboundSms = (body: string, sid: string) =>
      twilioCallback({
        AccountSid: TWILIO_SID,
        MessageSid: sid,
        SmsSid: sid,
        From: '+447700900777',
        To: '+15005550006',
        Body: body,
        SmsStatus: 'received',
      });
    expect((await inboundSms('STOP', 'SM' + '7'.repeat(32))).status).toBe(200);
    expect((await herald.request('GET', '/v1/contacts/inbound-1', { key })).body.consent.sms).toBe(false);
    // A retried webhook is filed once.
    expect((await inboundSms('STOP', 'SM' + '7'.repeat(32))).status).toBe(200);
    expect((await inboundSms(' start ', 'SM' + '8'.repeat(32))).status).toBe(200);
    expect((await herald.request('GET', '/v1/contacts/inbound-1', { key })).body.consent.sms).toBe(true);

    const value = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550000000', phone_number_id: '1234567890' },
      contacts: [{ profile: { name: 'Ana' }, wa_id: '447700900777' }],
      messages: [
        {
          from: '447700900777',
          id: 'wamid.IN1',
          timestamp: String(Math.floor(Date.now() / 1000)),
          type: 'text',
          text: { body: 'Is my order late?' },
        },
      ],
    };
    expect((await postWhatsApp(value)).status).toBe(200);
    const contact = (await herald.request('GET', '/v1/contacts/inbound-1', { key })).body;
    const windowHours = (new Date(contact.whatsappWindowOpenUntil).getTime() - Date.now()) / 3_600_000;
    expect(windowHours).toBeGreaterThan(23.9);
    expect(windowHours).toBeLessThanOrEqual(24);

    const unsubscribe = `{"event":"unsubscribed","timestamp":${Date.now()},"chat_hostname":"SN-CHAT-01_","user_id":"viber-user-0777","message_token":5491559884903611903}`;
    const viberSignature = createHmac('sha256', VIBER_TOKEN).update(unsubscribe).digest('hex');
    expect(
      (
        await herald.request('POST', '/webhooks/viber', {
          rawBody: unsubscribe,
          headers: { 'x-viber-content-signature': viberSignature },
        })
      ).status,
    ).toBe(200);
    expect((await herald.request('GET', '/v1/contacts/inbound-1', { key })).body.consent.viber).toBe(false);

    const inbound = await herald.request('GET', '/v1/inbound?address=%2B447700900777', { key });
    expect(
      inbound.body.data.map((m: { channel: string; text: string; contactId: string }) => [
        m.channel,
        m.text,
        m.contactId,
      ]),
    ).toEqual([
      ['whatsapp', 'Is my order late?', 'inbound-1'],
      ['sms', ' start ', 'inbound-1'],
      ['sms', 'STOP', 'inbound-1'],
    ]);
    const other = await herald.createWorkspace('no-contact');
    expect((await herald.request('GET', '/v1/inbound', { key: other.apiKey })).body.data).toEqual([]);
  });
});
