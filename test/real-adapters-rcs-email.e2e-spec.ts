import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { SMTPServer } from 'smtp-server';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { ownDatabase, useDatabase } from './support/processes.js';

const RBM_TOKEN = 'rbm-access-token';
const RBM_CLIENT_TOKEN = 'SJENCPGJESMGUFPY';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A delivery status notification (RFC 3464) about the message with `messageId`. */
function bounce(messageId: string, action: 'failed' | 'delivered', status: string): string {
  return [
    'From: MAILER-DAEMON@mx.example',
    'To: no-reply@herald.example',
    `Subject: ${action === 'failed' ? 'Undelivered Mail Returned to Sender' : 'Delivery Status Notification (Success)'}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"',
    '',
    '--B0UND',
    'Content-Type: text/plain',
    '',
    'A delivery report.',
    '--B0UND',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example',
    '',
    'Final-Recipient: rfc822; ana@example.com',
    `Action: ${action}`,
    `Status: ${status}`,
    ...(action === 'failed' ? ['Diagnostic-Code: smtp; 550 5.1.1 User unknown'] : []),
    '',
    '--B0UND',
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: ${messageId}`,
    'Subject: Receipt',
    '',
    '--B0UND--',
    '',
  ].join('\r\n');
}

describe('RBM and email adapters behind the send API', () => {
  let herald: TestHerald;
  let key: string;
  let rbm: http.Server;
  const rbmSeen: { method: string; path: string; auth?: string; body: string }[] = [];
  let smtp: SMTPServer;
  const mails: { from: string; to: string[]; data: string }[] = [];

  beforeAll(async () => {
    useDatabase(await ownDatabase('adapters_rcs_email'));
    rbm = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        rbmSeen.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body });
        if (req.headers.authorization !== `Bearer ${RBM_TOKEN}`)
          return res.writeHead(401).end('{"error":{"code":401,"status":"UNAUTHENTICATED"}}');
        if (req.url!.includes('0006'))
          return res
            .writeHead(404, { 'content-type': 'application/json' })
            .end('{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}');
        if (req.method === 'GET')
          return res.writeHead(200, { 'content-type': 'application/json' }).end('{"features":["RICHCARD_STANDALONE"]}');
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ...JSON.parse(body), sendTime: new Date().toISOString() }));
      });
    });
    await new Promise<void>((resolve) => rbm.listen(0, '127.0.0.1', resolve));
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
        stream.on('end', () => {
          mails.push({
            from: String(session.envelope.mailFrom && session.envelope.mailFrom.address),
            to: session.envelope.rcptTo.map((r) => r.address),
            data,
          });
          callback(null, 'OK queued as 4BC1');
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const rbmPort = (rbm.address() as { port: number }).port;
    const smtpPort = (smtp.server.address() as { port: number }).port;
    herald = await startHerald({
      RBM_AGENT_ID: 'herald-agent',
      RBM_ACCESS_TOKEN: RBM_TOKEN,
      RBM_CLIENT_TOKEN,
      RBM_BASE_URL: `http://127.0.0.1:${rbmPort}`,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      EMAIL_FROM: 'Herald <no-reply@herald.example>',
    });
    key = (await herald.createWorkspace('rcs-email')).apiKey;
  });

  afterAll(async () => {
    await herald?.close();
    await new Promise((resolve) => rbm?.close(resolve));
    await new Promise((resolve) => smtp?.close(() => resolve(undefined)));
  });

  const message = (id: string) => herald.request('GET', `/v1/messages/${id}`, { key }).then((r) => r.body);

  it('should send RCS with a UUID messageId and take a signed DELIVERED event', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: { to: { phone: '+447700900300' }, channels: ['rcs'], content: { text: 'Hello from RBM' } },
    });
    const submitted = await eventually(
      () => message(sent.body.id),
      (m) => m.attempts[0]?.status === 'submitted',
    );
    const messageId = submitted.attempts[0].providerMessageId as string;
    expect([submitted.attempts[0].provider, UUID.test(messageId)]).toEqual(['google-rbm', true]);
    const post = rbmSeen.find((r) => r.method === 'POST' && r.path.includes('447700900300'))!;
    expect(post.path).toBe(`/v1/phones/+447700900300/agentMessages?messageId=${messageId}&agentId=herald-agent`);
    expect(JSON.parse(post.body).contentMessage).toEqual({ text: 'Hello from RBM' });

    const data = JSON.stringify({
      senderPhoneNumber: '+447700900300',
      eventType: 'DELIVERED',
      eventId: 'ev-1',
      messageId,
      sendTime: new Date().toISOString(),
      agentId: 'herald-agent',
    });
    const signature = createHmac('sha512', RBM_CLIENT_TOKEN).update(data).digest('base64');
    const body = JSON.stringify({
      message: {
        data: Buffer.from(data).toString('base64'),
        messageId: 'pubsub-1',
        publishTime: new Date().toISOString(),
      },
      subscription: 'projects/x/subscriptions/y',
    });
    expect(
      (await herald.request('POST', '/webhooks/rbm', { rawBody: body, headers: { 'x-goog-signature': 'AAAA' } }))
        .status,
    ).toBe(401);
    expect(
      (await herald.request('POST', '/webhooks/rbm', { rawBody: body, headers: { 'x-goog-signature': signature } }))
        .status,
    ).toBe(200);
    const delivered = await eventually(
      () => message(sent.body.id),
      (m) => m.status === 'delivered',
    );
    expect(delivered.attempts[0].status).toBe('delivered');
  });

  it("should answer Google's clientToken handshake with the secret", async () => {
    const answer = await herald.request('POST', '/webhooks/rbm', {
      body: { clientToken: RBM_CLIENT_TOKEN, secret: '1234567890' },
    });
    expect([answer.status, answer.body]).toEqual([200, 1234567890]);
  });

  it('should skip RCS for a number that is not RCS-capable, email it, and fail it on a bounce', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: {
        to: { phone: '+447700900006', email: 'ana@example.com' },
        channels: ['rcs', 'email'],
        content: { text: 'Your receipt', email: { subject: 'Receipt' } },
      },
    });
    const emailed = await eventually(
      () => message(sent.body.id),
      (m) => m.attempts[1]?.status === 'sent',
    );
    expect(emailed.attempts.map((a: { channel: string; status: string }) => [a.channel, a.status])).toEqual([
      ['rcs', 'skipped'],
      ['email', 'sent'],
    ]);
    // The capability check said no: no agent message was posted for that number.
    expect(rbmSeen.filter((r) => r.path.includes('447700900006')).map((r) => r.method)).toEqual(['GET']);
    const mail = mails.find((m) => m.to.includes('ana@example.com'))!;
    const messageIdHeader = emailed.attempts[1].providerMessageId as string;
    expect(mail.data).toContain(`Message-ID: ${messageIdHeader}`);
    expect(mail.data).toContain('Subject: Receipt');

    const dsn = bounce(messageIdHeader, 'failed', '5.1.1');
    const other = await herald.createWorkspace('other');
    const foreign = await herald.request('POST', '/webhooks/email/dsn', {
      key: other.apiKey,
      rawBody: dsn,
      headers: { 'content-type': 'multipart/report; report-type=delivery-status; boundary="B0UND"' },
    });
    expect([foreign.status, foreign.body.applied]).toEqual([200, 0]);
    expect((await message(sent.body.id)).attempts[1].status).toBe('sent');

    const bounced = await herald.request('POST', '/webhooks/email/dsn', {
      key,
      rawBody: dsn,
      headers: { 'content-type': 'multipart/report; report-type=delivery-status; boundary="B0UND"' },
    });
    expect([bounced.status, bounced.body.applied]).toEqual([200, 1]);
    const failed = await eventually(
      () => message(sent.body.id),
      (m) => m.status === 'failed',
    );
    expect([failed.attempts[1].status, failed.attempts[1].error.code]).toEqual(['failed', '5.1.1']);
    expect(
      (
        await herald.request('POST', '/webhooks/email/dsn', {
          key,
          rawBody: 'not a bounce',
          headers: { 'content-type': 'message/rfc822' },
        })
      ).status,
    ).toBe(400);
  });
  it('should keep an email that the server accepted as sent, not expired, when validity ends without a report', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: {
        to: { email: 'bob@example.com' },
        channels: ['email'],
        content: { text: 'Hi', email: { subject: 'Hi' } },
        validity: '2s',
      },
    });
    const ended = await eventually(
      () => message(sent.body.id),
      (m) => m.events.some((e: { type: string }) => e.type === 'cascade.ended'),
      15_000,
    );
    expect([ended.status, ended.attempts[0].status]).toEqual(['sent', 'sent']);
    expect(ended.events.map((e: { type: string }) => e.type)).not.toContain('message.expired');
  });
  it('should record a delivery confirmation (a success DSN) as delivered', async () => {
    const sent = await herald.request('POST', '/v1/messages', {
      key,
      body: {
        to: { email: 'carol@example.com' },
        channels: ['email'],
        content: { text: 'Hi', email: { subject: 'Hi' } },
      },
    });
    const emailed = await eventually(
      () => message(sent.body.id),
      (m) => m.attempts[0]?.status === 'sent',
    );
    const answer = await herald.request('POST', '/webhooks/email/dsn', {
      key,
      rawBody: bounce(emailed.attempts[0].providerMessageId, 'delivered', '2.0.0'),
      headers: { 'content-type': 'multipart/report; report-type=delivery-status; boundary="B0UND"' },
    });
    expect([answer.status, answer.body.applied]).toEqual([200, 1]);
    const delivered = await eventually(
      () => message(sent.body.id),
      (m) => m.status === 'delivered',
    );
    expect(delivered.attempts[0].status).toBe('delivered');
  });
});
