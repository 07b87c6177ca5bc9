import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import twilio from 'twilio';
import { DEFAULT_RATE_CARD } from '../src/pricing/default-rate-card.js';
import { expectError, fields, MessageApi, type MessageView } from './message-api.helper.js';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { ownDatabase, useDatabase } from './support/processes.js';
import { triggersApi } from './support/triggers-api.js';

const TWILIO_SID = 'AC' + 'b'.repeat(32);
const TWILIO_TOKEN = 'twilio-reports-token';
const PUBLIC_URL = 'https://herald.example';

/** A local Twilio: answers each send with a new SID and Twilio's segment count (2 above 160 GSM characters). */
async function fakeTwilio() {
  let count = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const sid = `SM${String(++count).padStart(32, '0')}`;
      const segments = (form.get('Body') ?? '').length > 160 ? '2' : '1';
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ sid, status: 'queued', to: form.get('To'), num_segments: segments }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/** RFC 4180: fields, quoted fields with doubled quotes, CRLF line ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += ch;
    }
  }
  expect([row, cell, quoted]).toEqual([[], '', false]);
  return rows;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * The reports (API §8) over a seeded scenario whose figures are worked out by hand below: 17 messages across
 * SMS (a local Twilio, priced from the workspace's EUR rate card), WhatsApp, Viber, RCS and email (sandboxes,
 * free), with cascades, a late success, delivery reports out of order and repeated, a trigger's firing and a
 * broadcast. Every message ends before the reports are read; the medians come from the times the message API
 * shows.
 */
describe('reports', () => {
  let herald: TestHerald;
  let twilioFake: Awaited<ReturnType<typeof fakeTwilio>>;
  let key: string;
  let otherKey: string;
  let api: MessageApi;
  let range: string;
  let triggerId: string;
  let broadcastId: string;
  const ids: Record<string, string> = {};
  const deliveryMs: Record<string, number> = {};
  const TRIGGER_NAME = 'Cart "abandoned", 1h';
  const BROADCAST_NAME = '=Spring sale, "VIP"';

  const get = (path: string, useKey = key) => herald.request('GET', path, { key: useKey });

  /** A Twilio status callback, signed as Twilio signs it. */
  const dlr = async (sid: string, status: string, extra: Record<string, string> = {}) => {
    const params = { AccountSid: TWILIO_SID, MessageSid: sid, MessageStatus: status, ...extra };
    const signature = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, `${PUBLIC_URL}/webhooks/twilio`, params);
    const answer = await herald.request('POST', '/webhooks/twilio', {
      rawBody: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    });
    expect(answer.status).toBe(200);
  };

  /** The Twilio SID of the message's SMS attempt, once submitted. */
  const smsSid = async (id: string): Promise<string> => {
    const message = await api.until(id, (m) => m.attempts.some((a) => a.channel === 'sms' && a.providerMessageId));
    return message.attempts.find((a) => a.channel === 'sms')!.providerMessageId!;
  };

  const settle = async (name: string, status: string, done: (m: MessageView) => boolean = () => true) => {
    const message = await api.until(ids[name], (m) => m.status === status && done(m), 30_000);
    expect([name, message.status]).toEqual([name, status]);
    return message;
  };

  const send = async (name: string, body: Record<string, unknown>) => {
    ids[name] = await api.accept({ content: { text: `Hello from ${name}` }, ...body });
  };

  beforeAll(async () => {
    useDatabase(await ownDatabase('reports'));
    twilioFake = await fakeTwilio();
    herald = await startHerald({
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: twilioFake.url,
      PUBLIC_URL,
    });
    key = (await herald.createWorkspace('reports')).apiKey;
    otherKey = (await herald.createWorkspace('reports-other')).apiKey;
    api = new MessageApi(herald, key);
    const t = triggersApi(herald, key);
    const from = new Date(Date.now() - 60_000).toISOString();

    // SMS prices per segment by country, in EUR; the sandboxes report a zero cost in USD.
    const card = {
      ...DEFAULT_RATE_CARD,
      currency: 'EUR',
      label: 'Reports test',
      sms: { default: '0.0500', countries: { GB: '0.0400', US: '0.0100', DE: '0.0700' } },
    };
    expect((await herald.request('PUT', '/v1/rate-card', { key, body: card })).status).toBe(200);
    const template = await herald.request('POST', '/v1/templates', {
      key,
      body: { channel: 'sms', name: 'shipping_sms', content: { text: 'Your order has shipped' } },
    });
    expect(template.status).toBe(201);
    const withTemplate = { text: 'Your order has shipped', sms: { template: 'shipping_sms' } };

    await Promise.all([
      // M1 GB: WhatsApp skipped (0002), SMS delivered; Twilio's reports arrive delivered, sent, delivered.
      send('M1', { to: { phone: '+447700900002' }, channels: ['whatsapp', 'sms'] }),
      // M2 GB: WhatsApp silent (0003), after 1 s SMS (stored template), undelivered; WhatsApp still in flight
      // until validity ends: expired.
      send('M2', {
        to: { phone: '+447700900003' },
        channels: ['whatsapp', 'sms'],
        content: withTemplate,
        fallback: { after: '1s' },
        validity: '6s',
      }),
      // M3 US: Viber fails (0001), SMS of 2 segments delivered.
      send('M3', {
        to: { phone: '+12025550123', viberId: 'viber-user-0001' },
        channels: ['viber', 'sms'],
        content: { text: `Your parcel is on its way. ${'Track it with the link in your account. '.repeat(4)}` },
      }),
      // M4 DE: RCS skipped (0002), SMS (stored template) delivered.
      send('M4', { to: { phone: '+4930123450002' }, channels: ['rcs', 'sms'], content: withTemplate }),
      // M5 GB: RCS delivered, then read (0005).
      send('M5', { to: { phone: '+447700900005' }, channels: ['rcs', 'sms'] }),
      // M6, M7, M12: email delivered, failed (0001), delivered; no phone: no country.
      send('M6', {
        to: { email: 'ana@example.com' },
        channels: ['email'],
        content: { text: 'Hi', email: { subject: 'Hi' } },
      }),
      send('M7', {
        to: { email: 'fail-0001@example.com' },
        channels: ['email'],
        content: { text: 'Hi', email: { subject: 'Hi' } },
      }),
      send('M12', {
        to: { email: 'bob@example.com' },
        channels: ['email'],
        content: { text: 'Hi', email: { subject: 'Hi' } },
      }),
      // M8 US: WhatsApp fails twice for a while (0004), retried, delivered: one attempt.
      send('M8', { to: { phone: '+12025550004' }, channels: ['whatsapp'] }),
      // M9 US: WhatsApp only, not on WhatsApp (0002): rejected.
      send('M9', { to: { phone: '+12025550002' }, channels: ['whatsapp'] }),
      // M10 GB: scheduled, then canceled before it went.
      send('M10', {
        to: { phone: '+447700900123' },
        channels: ['sms'],
        sendAt: new Date(Date.now() + 3_600_000).toISOString(),
      }),
      // M11 US: WhatsApp skipped (0002), SMS delivered.
      send('M11', { to: { phone: '+12025550002' }, channels: ['whatsapp', 'sms'] }),
      // M13 GB: SMS reported sent, never delivered; validity ends: it stays sent.
      send('M13', { to: { phone: '+447700900444' }, channels: ['sms'], validity: '3s' }),
      // M14 GB: SMS silent, after 1 s email delivered; then the SMS's delivery arrives late.
      send('M14', {
        to: { phone: '+447700900777', email: 'late@example.com' },
        channels: ['sms', 'email'],
        content: { text: 'Your code', email: { subject: 'Your code' } },
        fallback: { after: '1s' },
      }),
    ]);
    expect((await api.cancel(ids.M10)).status).toBe(200);

    // A trigger: fired once (sent, DE, SMS), suppressed once (same cart), converted.
    await t.contact('cart-ana', { phone: '+4915112345678' });
    triggerId = await t.createTrigger({
      name: TRIGGER_NAME,
      when: { event: 'checkout_started' },
      send: { channels: ['sms'], content: { text: 'Your cart {{cartId}} is waiting' } },
      limits: { oncePer: 'properties.cartId' },
      conversion: { event: 'order_completed', within: '1h' },
    });
    await t.track('cart-ana', 'checkout_started', { cartId: 'c-1' });
    const [fired] = await t.settled(triggerId, 'cart-ana');
    expect(fired.status).toBe('sent');
    ids.T1 = fired.messageId!;
    await t.track('cart-ana', 'checkout_started', { cartId: 'c-1' });
    expect((await t.settled(triggerId, 'cart-ana', 2)).map((f) => f.reason ?? f.status).sort()).toEqual([
      'once_per',
      'sent',
    ]);

    // A broadcast: two contacts by WhatsApp (read, failed) and one that does not exist (suppressed).
    await t.contact('bc-read', { phone: '+447700910005' });
    await t.contact('bc-fail', { phone: '+447700910001' });
    const broadcast = await t.api('POST', '/v1/broadcasts', {
      name: BROADCAST_NAME,
      audience: { contactIds: ['bc-read', 'bc-fail', 'nobody-here'] },
      message: { channels: ['whatsapp'], content: { text: 'Spring sale' } },
      conversion: { event: 'purchase', within: '1h' },
    });
    expect(broadcast.status).toBe(201);
    broadcastId = broadcast.body.id;
    await eventually(
      () => t.api('GET', `/v1/broadcasts/${broadcastId}`).then((r) => r.body),
      (b) => b.status === 'sent' && b.stats.pending === 0,
      15_000,
    );
    const listed: { id: string; to: { contactId?: string }; broadcast?: { id: string } }[] = (
      await api.list('limit=100')
    ).body.data;
    const byContact = (contactId: string) =>
      listed.find((m) => m.broadcast?.id === broadcastId && m.to.contactId === contactId)!.id;
    ids.B1 = byContact('bc-read');
    ids.B2 = byContact('bc-fail');

    // The SMS delivery reports, late, repeated and out of order where it says so.
    await Promise.all([
      (async () => {
        const sid = await smsSid(ids.M1);
        await dlr(sid, 'delivered');
        await settle('M1', 'delivered');
        await dlr(sid, 'sent'); // after delivered: ignored
        await dlr(sid, 'delivered'); // a repeat: ignored
      })(),
      (async () => {
        const sid = await smsSid(ids.M2);
        await dlr(sid, 'undelivered', { ErrorCode: '30003' });
        await api.until(ids.M2, (m) => m.attempts.some((a) => a.channel === 'sms' && a.status === 'undelivered'));
        await dlr(sid, 'sent'); // after undelivered: ignored
      })(),
      (async () => {
        const sid = await smsSid(ids.M3);
        await dlr(sid, 'sent');
        await dlr(sid, 'delivered');
      })(),
      smsSid(ids.M4).then((sid) => dlr(sid, 'delivered')),
      smsSid(ids.M11).then((sid) => dlr(sid, 'delivered')),
      smsSid(ids.M13).then((sid) => dlr(sid, 'sent')),
      smsSid(ids.T1).then((sid) => dlr(sid, 'delivered')),
      (async () => {
        const sid = await smsSid(ids.M14);
        await settle('M14', 'delivered', (m) => m.channel === 'email');
        await dlr(sid, 'delivered'); // the SMS, after the cascade moved on: recorded, changes nothing else
        await api.until(ids.M14, (m) => m.attempts[0].status === 'delivered');
      })(),
    ]);

    // Conversions, once the sends exist.
    await t.track('cart-ana', 'order_completed', { cartId: 'c-1' });
    await t.track('bc-read', 'purchase');

    // The other workspace's message must never show in this one's reports.
    const other = new MessageApi(herald, otherKey);
    const otherId = await other.accept({
      to: { phone: '+447700900999' },
      channels: ['whatsapp'],
      content: { text: 'Not yours' },
    });
    await other.untilStatus(otherId, 'delivered');

    const final: [string, string][] = [
      ['M1', 'delivered'],
      ['M2', 'expired'],
      ['M3', 'delivered'],
      ['M4', 'delivered'],
      ['M5', 'read'],
      ['M6', 'delivered'],
      ['M7', 'failed'],
      ['M8', 'delivered'],
      ['M9', 'rejected'],
      ['M10', 'canceled'],
      ['M11', 'delivered'],
      ['M12', 'delivered'],
      ['M14', 'delivered'],
      ['T1', 'delivered'],
      ['B1', 'read'],
      ['B2', 'failed'],
    ];
    await Promise.all(final.map(([name, status]) => settle(name, status)));
    // M13 stays sent: settled once its validity ended without a delivery.
    await settle('M13', 'sent', (m) => m.events.some((e) => e.type === 'cascade.ended'));
    await eventually(
      () => t.api('GET', `/v1/triggers/${triggerId}/stats`).then((r) => r.body.converted),
      (n) => n === 1,
    );
    await eventually(
      () => t.api('GET', `/v1/broadcasts/${broadcastId}/stats`).then((r) => r.body.converted),
      (n) => n === 1,
    );

    // Time to deliver as the message API shows it: the final channel's attempt, deliveredAt (else readAt)
    // minus the message's createdAt.
    for (const [name, id] of Object.entries(ids)) {
      const message = await api.get(id);
      const attempt = message.attempts.find((a) => a.channel === message.channel);
      const at = attempt?.deliveredAt ?? attempt?.readAt;
      if (at) deliveryMs[name] = Date.parse(at) - Date.parse(message.createdAt);
    }
    range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
  }, 120_000);

  afterAll(async () => {
    await herald?.close();
    await twilioFake?.close();
  });

  /** Median seconds to deliver over the named messages, as the report rounds it (4 decimals of a second). */
  const med = (...names: string[]): number => {
    for (const name of names) expect([name, typeof deliveryMs[name]]).toEqual([name, 'number']);
    return Math.round(median(names.map((n) => deliveryMs[n])) * 10) / 10_000;
  };

  const eur = (amount: string) => ({ amount, currency: 'EUR' });

  /** A row's figures; pending is 0 everywhere (every message has ended) and nothing is priced in another currency. */
  const figures = (f: {
    accepted: number;
    sent: number;
    delivered: number;
    read: number;
    failed: number;
    rejected: number;
    expired: number;
    canceled: number;
    fellBack: number;
    deliveryRate: number | null;
    medianSecondsToDeliver: number | null;
    fallbackRate: number | null;
    cost: string;
  }) => ({ ...f, pending: 0, cost: eur(f.cost), otherCosts: [] });

  const summary = async (groupBy: string) => {
    const answer = await get(`/v1/reports/summary?${range}&groupBy=${groupBy}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };

  // Every message, by hand (final channel / provider / country / attempts / cost in EUR):
  //   M1  delivered  sms/twilio      GB  2  0.04    M8  delivered  whatsapp/sandbox US  1  0
  //   M2  expired    sms/twilio      GB  2  0.04    M9  rejected   whatsapp/sandbox US  1  0
  //   M3  delivered  sms/twilio      US  2  0.02    M10 canceled   none/none        GB  0  -
  //   M4  delivered  sms/twilio      DE  2  0.07    M11 delivered  sms/twilio       US  2  0.01
  //   M5  read       rcs/sandbox     GB  1  0       M12 delivered  email/sandbox    -   1  0
  //   M6  delivered  email/sandbox   -   1  0       M13 sent       sms/twilio       GB  1  0.04
  //   M7  failed     email/sandbox   -   1  0       M14 delivered  email/sandbox    GB  2  0.04 (its SMS)
  //   T1  delivered  sms/twilio      DE  1  0.07    (trigger)
  //   B1  read       whatsapp/sandbox GB 1  0       B2  failed     whatsapp/sandbox GB  1  0   (broadcast)
  // Delivered (or read): M1 M3 M4 M5 M6 M8 M11 M12 M14 T1 B1 = 11; sent adds M13 = 12.
  const ALL_DELIVERED = ['M1', 'M3', 'M4', 'M5', 'M6', 'M8', 'M11', 'M12', 'M14', 'T1', 'B1'];
  const except = (...names: string[]) => ALL_DELIVERED.filter((n) => !names.includes(n));

  it('should have played the scenario as described', async () => {
    const played: Record<string, unknown> = {};
    for (const [name, id] of Object.entries(ids)) {
      const m = await api.get(id);
      played[name] = [m.status, m.channel, m.attempts.map((a) => `${a.channel}:${a.status}`).join(' ')];
    }
    expect(played).toEqual({
      M1: ['delivered', 'sms', 'whatsapp:skipped sms:delivered'],
      M2: ['expired', 'sms', 'whatsapp:submitted sms:undelivered'],
      M3: ['delivered', 'sms', 'viber:failed sms:delivered'],
      M4: ['delivered', 'sms', 'rcs:skipped sms:delivered'],
      M5: ['read', 'rcs', 'rcs:read'],
      M6: ['delivered', 'email', 'email:delivered'],
      M7: ['failed', 'email', 'email:failed'],
      M8: ['delivered', 'whatsapp', 'whatsapp:delivered'],
      M9: ['rejected', 'whatsapp', 'whatsapp:skipped'],
      M10: ['canceled', null, ''],
      M11: ['delivered', 'sms', 'whatsapp:skipped sms:delivered'],
      M12: ['delivered', 'email', 'email:delivered'],
      M13: ['sent', 'sms', 'sms:sent'],
      M14: ['delivered', 'email', 'sms:delivered email:delivered'],
      T1: ['delivered', 'sms', 'sms:delivered'],
      B1: ['read', 'whatsapp', 'whatsapp:read'],
      B2: ['failed', 'whatsapp', 'whatsapp:failed'],
    });
    // The reports that came late or out of order were recorded as ignored, not applied.
    const ignored = async (name: string) =>
      (await api.get(ids[name])).events.filter((e) => e.type === 'report.ignored').map((e) => e.detail);
    expect(await ignored('M1')).toEqual(['sent after delivered: statuses only move forward']);
    expect(await ignored('M2')).toEqual(['sent after undelivered: statuses only move forward']);
    expect((await api.get(ids.M14)).events.map((e) => e.type)).not.toContain('cascade.late_success');
    // Two segments at the US price.
    expect((await api.get(ids.M3)).attempts[1]).toMatchObject({
      segments: 2,
      cost: { amount: '0.02', currency: 'EUR' },
    });
  });

  it('should total the scenario: 17 messages, 11 delivered, 6 fell back, €0.33', async () => {
    const body = await summary('channel');
    expect(body.totals).toEqual(
      figures({
        accepted: 17,
        sent: 12,
        delivered: 11,
        read: 2, // M5, B1
        failed: 3, // M7, B2, and M9 (rejected)
        rejected: 1,
        expired: 1, // M2
        canceled: 1, // M10
        fellBack: 6, // M1 M2 M3 M4 M11 M14
        deliveryRate: 0.6471, // 11/17
        medianSecondsToDeliver: med(...ALL_DELIVERED),
        fallbackRate: 0.3529, // 6/17
        cost: '0.3300', // 0.04×4 (M1 M2 M13 M14) + 0.02 (M3) + 0.07×2 (M4 T1) + 0.01 (M11)
      }),
    );
    expect(body.groupBy).toBe('channel');
    expect(body.timeZone).toBe('UTC');
  });

  it('should group by the channel the message ended on', async () => {
    expect((await summary('channel')).rows).toEqual([
      {
        key: 'sms', // M1 M2 M3 M4 M11 M13 T1
        label: 'sms',
        ...figures({
          accepted: 7,
          sent: 6, // all but M2
          delivered: 5, // M1 M3 M4 M11 T1
          read: 0,
          failed: 0,
          rejected: 0,
          expired: 1, // M2
          canceled: 0,
          fellBack: 5, // M1 M2 M3 M4 M11
          deliveryRate: 0.7143, // 5/7
          medianSecondsToDeliver: med('M1', 'M3', 'M4', 'M11', 'T1'),
          fallbackRate: 0.7143, // 5/7
          cost: '0.2900', // 0.04 + 0.04 + 0.02 + 0.07 + 0.01 + 0.04 + 0.07
        }),
      },
      {
        key: 'email', // M6 M7 M12 M14 (the late SMS delivery did not move M14 off email)
        label: 'email',
        ...figures({
          accepted: 4,
          sent: 3,
          delivered: 3, // M6 M12 M14
          read: 0,
          failed: 1, // M7
          rejected: 0,
          expired: 0,
          canceled: 0,
          fellBack: 1, // M14
          deliveryRate: 0.75,
          medianSecondsToDeliver: med('M6', 'M12', 'M14'),
          fallbackRate: 0.25,
          cost: '0.0400', // M14's SMS
        }),
      },
      {
        key: 'whatsapp', // M8 M9 B1 B2
        label: 'whatsapp',
        ...figures({
          accepted: 4,
          sent: 2, // M8 B1
          delivered: 2,
          read: 1, // B1
          failed: 2, // M9 (rejected), B2
          rejected: 1,
          expired: 0,
          canceled: 0,
          fellBack: 0,
          deliveryRate: 0.5,
          medianSecondsToDeliver: med('M8', 'B1'),
          fallbackRate: 0,
          cost: '0.0000',
        }),
      },
      {
        key: 'none', // M10: canceled before any attempt
        label: 'none',
        ...figures({
          accepted: 1,
          sent: 0,
          delivered: 0,
          read: 0,
          failed: 0,
          rejected: 0,
          expired: 0,
          canceled: 1,
          fellBack: 0,
          deliveryRate: 0,
          medianSecondsToDeliver: null,
          fallbackRate: 0,
          cost: '0.0000',
        }),
      },
      {
        key: 'rcs', // M5
        label: 'rcs',
        ...figures({
          accepted: 1,
          sent: 1,
          delivered: 1,
          read: 1,
          failed: 0,
          rejected: 0,
          expired: 0,
          canceled: 0,
          fellBack: 0,
          deliveryRate: 1,
          medianSecondsToDeliver: med('M5'),
          fallbackRate: 0,
          cost: '0.0000',
        }),
      },
    ]);
  });

  it('should group by the provider of the final attempt', async () => {
    const byChannel = (await summary('channel')).rows as { key: string }[];
    const channel = (key: string) => byChannel.find((r) => r.key === key)!;
    expect((await summary('provider')).rows).toEqual([
      {
        key: 'sandbox', // M5 M6 M7 M8 M9 M12 M14 B1 B2
        label: 'sandbox',
        ...figures({
          accepted: 9,
          sent: 6, // M5 M6 M8 M12 M14 B1
          delivered: 6,
          read: 2, // M5 B1
          failed: 3, // M7 M9 B2
          rejected: 1, // M9
          expired: 0,
          canceled: 0,
          fellBack: 1, // M14
          deliveryRate: 0.6667, // 6/9
          medianSecondsToDeliver: med('M5', 'M6', 'M8', 'M12', 'M14', 'B1'),
          fallbackRate: 0.1111, // 1/9
          cost: '0.0400', // M14's SMS: a message's costs go with it, whichever attempt ended it
        }),
      },
      // Twilio carried exactly the messages that ended on SMS; M10 was never attempted.
      { ...channel('sms'), key: 'twilio', label: 'twilio' },
      channel('none'),
    ]);
  });

  it("should group by the recipient's country", async () => {
    expect((await summary('country')).rows).toEqual([
      {
        key: 'GB', // M1 M2 M5 M10 M13 M14 B1 B2
        label: 'GB',
        ...figures({
          accepted: 8,
          sent: 5, // M1 M5 M13 M14 B1
          delivered: 4, // M1 M5 M14 B1
          read: 2, // M5 B1
          failed: 1, // B2
          rejected: 0,
          expired: 1, // M2
          canceled: 1, // M10
          fellBack: 3, // M1 M2 M14
          deliveryRate: 0.5,
          medianSecondsToDeliver: med('M1', 'M5', 'M14', 'B1'),
          fallbackRate: 0.375,
          cost: '0.1600', // M1 M2 M13 M14 at 0.04
        }),
      },
      {
        key: 'US', // M3 M8 M9 M11
        label: 'US',
        ...figures({
          accepted: 4,
          sent: 3,
          delivered: 3, // M3 M8 M11
          read: 0,
          failed: 1, // M9
          rejected: 1,
          expired: 0,
          canceled: 0,
          fellBack: 2, // M3 M11
          deliveryRate: 0.75,
          medianSecondsToDeliver: med('M3', 'M8', 'M11'),
          fallbackRate: 0.5,
          cost: '0.0300', // M3: 2 segments at 0.01; M11: 0.01
        }),
      },
      {
        key: 'none', // email only: M6 M7 M12
        label: 'none',
        ...figures({
          accepted: 3,
          sent: 2,
          delivered: 2, // M6 M12
          read: 0,
          failed: 1, // M7
          rejected: 0,
          expired: 0,
          canceled: 0,
          fellBack: 0,
          deliveryRate: 0.6667,
          medianSecondsToDeliver: med('M6', 'M12'),
          fallbackRate: 0,
          cost: '0.0000',
        }),
      },
      {
        key: 'DE', // M4 T1
        label: 'DE',
        ...figures({
          accepted: 2,
          sent: 2,
          delivered: 2,
          read: 0,
          failed: 0,
          rejected: 0,
          expired: 0,
          canceled: 0,
          fellBack: 1, // M4
          deliveryRate: 1,
          medianSecondsToDeliver: med('M4', 'T1'),
          fallbackRate: 0.5,
          cost: '0.1400',
        }),
      },
    ]);
  });

  it('should group by day, by trigger, by broadcast and by template', async () => {
    const day = await summary('day');
    // The days the scenario's messages were created on (UTC): one, unless the run crossed midnight.
    const created = await Promise.all(Object.values(ids).map(async (id) => (await api.get(id)).createdAt.slice(0, 10)));
    const days = [...new Set(created)].sort();
    expect(created).toHaveLength(day.totals.accepted);
    expect(day.rows.map((r: { key: string }) => r.key)).toEqual(days);
    for (const row of day.rows) {
      expect(row).toMatchObject({ label: row.key, accepted: created.filter((d) => d === row.key).length });
    }
    if (days.length === 1) expect(day.rows).toEqual([{ key: days[0], label: days[0], ...day.totals }]);
    expect(day.totals).toEqual((await summary('channel')).totals);

    expect((await summary('trigger')).rows).toEqual([
      {
        key: 'none', // everything but T1
        label: 'none',
        ...figures({
          accepted: 16,
          sent: 11,
          delivered: 10,
          read: 2,
          failed: 3,
          rejected: 1,
          expired: 1,
          canceled: 1,
          fellBack: 6,
          deliveryRate: 0.625, // 10/16
          medianSecondsToDeliver: med(...except('T1')),
          fallbackRate: 0.375, // 6/16
          cost: '0.2600', // 0.33 − 0.07
        }),
      },
      {
        key: triggerId,
        label: TRIGGER_NAME,
        ...figures({
          accepted: 1,
          sent: 1,
          delivered: 1,
          read: 0,
          failed: 0,
          rejected: 0,
          expired: 0,
          canceled: 0,
          fellBack: 0,
          deliveryRate: 1,
          medianSecondsToDeliver: med('T1'),
          fallbackRate: 0,
          cost: '0.0700',
        }),
      },
    ]);

    expect((await summary('broadcast')).rows).toEqual([
      {
        key: 'none', // everything but B1 B2
        label: 'none',
        ...figures({
          accepted: 15,
          sent: 11,
          delivered: 10,
          read: 1, // M5
          failed: 2, // M7 M9
          rejected: 1,
          expired: 1,
          canceled: 1,
          fellBack: 6,
          deliveryRate: 0.6667, // 10/15
          medianSecondsToDeliver: med(...except('B1')),
          fallbackRate: 0.4, // 6/15
          cost: '0.3300',
        }),
      },
      {
        key: broadcastId,
        label: BROADCAST_NAME,
        ...figures({
          accepted: 2,
          sent: 1,
          delivered: 1,
          read: 1,
          failed: 1,
          rejected: 0,
          expired: 0,
          canceled: 0,
          fellBack: 0,
          deliveryRate: 0.5,
          medianSecondsToDeliver: med('B1'),
          fallbackRate: 0,
          cost: '0.0000',
        }),
      },
    ]);

    expect((await summary('template')).rows).toEqual([
      {
        key: 'none',
        label: 'none',
        ...figures({
          accepted: 15,
          sent: 11,
          delivered: 10,
          read: 2,
          failed: 3,
          rejected: 1,
          expired: 0,
          canceled: 1,
          fellBack: 4, // M1 M3 M11 M14
          deliveryRate: 0.6667, // 10/15
          medianSecondsToDeliver: med(...except('M4')),
          fallbackRate: 0.2667, // 4/15
          cost: '0.2200', // 0.33 − M2 − M4
        }),
      },
      {
        key: 'shipping_sms', // M2 and M4 ended on SMS, which named it
        label: 'shipping_sms',
        ...figures({
          accepted: 2,
          sent: 1,
          delivered: 1,
          read: 0,
          failed: 0,
          rejected: 0,
          expired: 1,
          canceled: 0,
          fellBack: 2,
          deliveryRate: 0.5,
          medianSecondsToDeliver: med('M4'),
          fallbackRate: 1,
          cost: '0.1100',
        }),
      },
    ]);
  });

  it('should count cascade paths and outcomes, most frequent first', async () => {
    const answer = await get(`/v1/reports/cascades?${range}`);
    expect(answer.status).toBe(200);
    expect(answer.body.rows).toEqual([
      { path: ['email'], outcome: 'delivered', count: 2 }, // M6 M12
      { path: ['whatsapp', 'sms'], outcome: 'delivered', count: 2 }, // M1 M11
      // Then by path, then outcome.
      { path: [], outcome: 'canceled', count: 1 }, // M10
      { path: ['email'], outcome: 'failed', count: 1 }, // M7
      { path: ['rcs'], outcome: 'read', count: 1 }, // M5
      { path: ['rcs', 'sms'], outcome: 'delivered', count: 1 }, // M4
      { path: ['sms'], outcome: 'delivered', count: 1 }, // T1
      { path: ['sms'], outcome: 'sent', count: 1 }, // M13
      { path: ['sms', 'email'], outcome: 'delivered', count: 1 }, // M14
      { path: ['viber', 'sms'], outcome: 'delivered', count: 1 }, // M3
      { path: ['whatsapp'], outcome: 'delivered', count: 1 }, // M8
      { path: ['whatsapp'], outcome: 'failed', count: 1 }, // B2
      { path: ['whatsapp'], outcome: 'read', count: 1 }, // B1
      { path: ['whatsapp'], outcome: 'rejected', count: 1 }, // M9
      { path: ['whatsapp', 'sms'], outcome: 'expired', count: 1 }, // M2
    ]);
  });

  it('should report the trigger and the broadcast side by side', async () => {
    const answer = await get(`/v1/reports/triggers?${range}`);
    expect(answer.status).toBe(200);
    expect(answer.body.rows).toEqual([
      {
        type: 'trigger',
        id: triggerId,
        name: TRIGGER_NAME,
        fired: 2, // sent, then suppressed for the same cart
        suppressed: 1,
        suppressedByReason: { once_per: 1 },
        sent: 1,
        delivered: 1,
        failed: 0,
        converted: 1, // order_completed
        conversionRate: 1,
        pending: 0,
        canceled: 0,
      },
      {
        type: 'broadcast',
        id: broadcastId,
        name: BROADCAST_NAME,
        fired: 3,
        suppressed: 1,
        suppressedByReason: { no_address: 1 }, // nobody-here
        sent: 2,
        delivered: 1, // B1 (read)
        failed: 1, // B2
        converted: 1, // bc-read's purchase
        conversionRate: 0.5,
        pending: 0,
        canceled: 0,
      },
    ]);
  });

  it('should export the summary as CSV equal to the JSON, row for row', async () => {
    const formula = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
    const cells = (f: Record<string, any>) => [
      ...['accepted', 'sent', 'delivered', 'read', 'failed', 'rejected', 'expired', 'canceled', 'pending'].map((k) =>
        String(f[k]),
      ),
      String(f.fellBack),
      ...[f.deliveryRate, f.medianSecondsToDeliver, f.fallbackRate].map((n) => (n === null ? '' : String(n))),
      f.cost.amount,
      f.cost.currency,
      f.otherCosts.map((c: { amount: string; currency: string }) => `${c.amount} ${c.currency}`).join('; '),
    ];
    for (const groupBy of ['channel', 'provider', 'country', 'day', 'trigger', 'broadcast', 'template']) {
      const json = await summary(groupBy);
      const response = await fetch(`${herald.baseUrl}/v1/reports/export.csv?${range}&groupBy=${groupBy}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toMatch(
        new RegExp(`^attachment; filename="herald-summary-${groupBy}-\\d{8}T\\d{6}Z-\\d{8}T\\d{6}Z\\.csv"$`),
      );
      const rows = parseCsv(await response.text());
      expect(rows).toEqual([
        [
          'key',
          'label',
          'accepted',
          'sent',
          'delivered',
          'read',
          'failed',
          'rejected',
          'expired',
          'canceled',
          'pending',
          'fellBack',
          'deliveryRate',
          'medianSecondsToDeliver',
          'fallbackRate',
          'cost',
          'currency',
          'otherCosts',
        ],
        ...json.rows.map((r: Record<string, any>) => [formula(r.key), formula(r.label), ...cells(r)]),
        ['', 'total', ...cells(json.totals)],
      ]);
    }
    // Names with commas and quotes survive; one that looks like a formula is defused.
    const csv = await fetch(`${herald.baseUrl}/v1/reports/export.csv?${range}&groupBy=broadcast`, {
      headers: { authorization: `Bearer ${key}` },
    }).then((r) => r.text());
    expect(csv.split('\r\n')[2]).toMatch(
      new RegExp(`^${broadcastId},"'=Spring sale, ""VIP""",2,1,1,1,1,0,0,0,0,0,0.5,`),
    );
  });

  it("should never show another workspace's messages", async () => {
    const other = (await get(`/v1/reports/summary?${range}&groupBy=channel`, otherKey)).body;
    expect(other.rows.map((r: { key: string; accepted: number }) => [r.key, r.accepted])).toEqual([['whatsapp', 1]]);
    expect(other.totals.cost).toEqual({ amount: '0.0000', currency: 'USD' });
    expect((await get(`/v1/reports/cascades?${range}`, otherKey)).body.rows).toEqual([
      { path: ['whatsapp'], outcome: 'delivered', count: 1 },
    ]);
    expect((await get(`/v1/reports/triggers?${range}`, otherKey)).body.rows).toEqual([]);
  });

  it('should refuse bad parameters with a 400 naming the field, and a missing key with 401', async () => {
    const refused = async (path: string, field: string) => {
      const error = expectError(await get(path), 400, 'VALIDATION_FAILED');
      expect(fields(error)).toEqual([field]);
    };
    await refused('/v1/reports/summary?groupBy=colour', 'groupBy');
    await refused('/v1/reports/summary?from=yesterday', 'from');
    await refused('/v1/reports/summary?from=2026-05-02&to=2026-05-01', 'to');
    await refused('/v1/reports/summary?from=2024-01-01&to=2025-06-01', 'to');
    await refused('/v1/reports/summary?tz=Mars%2FBase', 'tz');
    await refused('/v1/reports/summary?gropBy=day', 'gropBy');
    await refused('/v1/reports/export.csv?groupBy=colour', 'groupBy');
    await refused('/v1/reports/cascades?to=2026-13-01', 'to');
    await refused('/v1/reports/triggers?from=2026-05-02&to=2026-05-01', 'to');
    for (const path of ['summary', 'cascades', 'triggers', 'export.csv']) {
      expectError(await herald.request('GET', `/v1/reports/${path}`), 401, 'UNAUTHORIZED');
    }
  });

  it('should describe every report in the OpenAPI document', async () => {
    const doc = (await herald.request('GET', '/docs-json')).body;
    for (const path of ['summary', 'cascades', 'triggers', 'export.csv']) {
      expect(doc.paths[`/v1/reports/${path}`]?.get).toBeDefined();
    }
    expect(doc.components.schemas.SummaryFiguresDto.properties.medianSecondsToDeliver.description).toMatch(
      /^Median over delivered/,
    );
  });
});
