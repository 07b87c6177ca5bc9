import { afterEach, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { SendRequest } from '../channel.port.js';
import { SmtpProvider, classifySmtpError } from './smtp.adapter.js';
import { sendError } from '../send-error.testing.js';

const ATTEMPT = 'att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6';

interface Received {
  mailFrom?: string;
  rcptTo: string[];
  envelopeDsn?: unknown;
  rcptDsn?: unknown;
  data: string;
}

/** A real SMTP server on a free local port that records what it receives. */
async function startServer(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    hideDSN: false,
    logger: false,
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const envelope = session.envelope as SMTPServerSession['envelope'] & { dsn?: unknown };
        received.push({
          mailFrom: envelope.mailFrom ? envelope.mailFrom.address : undefined,
          rcptTo: envelope.rcptTo.map((r) => r.address),
          envelopeDsn: envelope.dsn,
          rcptDsn: (envelope.rcptTo[0] as { dsn?: unknown } | undefined)?.dsn,
          data: Buffer.concat(chunks).toString(),
        });
        callback(null);
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { server, received, port };
}

const smtpError = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });

const request = (overrides: Partial<SendRequest> = {}): SendRequest => ({
  attemptId: ATTEMPT,
  workspaceId: 'ws-1',
  channel: 'email',
  address: 'ana@example.com',
  content: { subject: 'Your cart', text: 'Hi Ana', html: '<p>Hi Ana</p>' },
  ...overrides,
});

describe(SmtpProvider.name, () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function setup(options: Partial<SMTPServerOptions> = {}, credentials = '') {
    const { server, received, port } = await startServer(options);
    const provider = new SmtpProvider({
      url: `smtp://${credentials}127.0.0.1:${port}`,
      from: 'Herald <no-reply@herald.example>',
      transport: { ignoreTLS: true },
    });
    cleanups.push(
      () => provider.close(),
      () => new Promise((resolve) => server.close(() => resolve(undefined))),
    );
    return { provider, received };
  }

  it('should call itself smtp on the email channel', async () => {
    const { provider } = await setup();

    expect(provider.name).toBe('smtp');
    expect(provider.channel).toBe('email');
  });

  it('should send the message with a Message-ID from the attempt and request DSNs', async () => {
    const { provider, received } = await setup();

    const result = await provider.send(request());

    expect(result).toEqual({
      providerMessageId: `<${ATTEMPT}@herald>`,
      status: 'sent',
      raw: { response: expect.stringMatching(/^250 /), accepted: ['ana@example.com'], rejected: [] },
    });
    expect(received).toHaveLength(1);
    const [mail] = received as [Received];
    expect(mail.mailFrom).toBe('no-reply@herald.example');
    expect(mail.rcptTo).toEqual(['ana@example.com']);
    expect(mail.envelopeDsn).toEqual(expect.objectContaining({ ret: 'HDRS', envid: ATTEMPT }));
    expect(mail.rcptDsn).toEqual(expect.objectContaining({ notify: ['SUCCESS', 'FAILURE', 'DELAY'] }));
    expect(mail.data).toMatch(new RegExp(`^Message-ID: <${ATTEMPT}@herald>\\r?$`, 'im'));
    expect(mail.data).toMatch(/^Subject: Your cart\r?$/im);
    expect(mail.data).toMatch(/^From: Herald <no-reply@herald\.example>\r?$/im);
    expect(mail.data).toMatch(/^To: ana@example\.com\r?$/im);
    expect(mail.data).toContain('<p>Hi Ana</p>');
  });

  it('should send without DSN parameters to a server that does not offer DSN', async () => {
    const { provider, received } = await setup({ hideDSN: true });

    await provider.send(request());

    expect(received[0]?.envelopeDsn).toBeUndefined();
  });

  it.each([
    [550, 'Mailbox unavailable', 'NOT_REACHABLE', '550'],
    [550, '5.1.1 No such user', 'INVALID_ADDRESS', '5.1.1'],
    [553, 'Mailbox name not allowed', 'INVALID_ADDRESS', '553'],
  ])('should fail permanently when RCPT is refused with %i %s', async (code, text, kind, errorCode) => {
    const { provider, received } = await setup({
      onRcptTo: (_address, _session, callback) => callback(smtpError(code, text)),
    });

    const error = await sendError(provider.send(request()));

    expect(error.error).toEqual(expect.objectContaining({ kind, code: errorCode, permanent: true }));
    expect(received).toEqual([]);
  });

  it('should answer TEMPORARY when RCPT is deferred with 451', async () => {
    const { provider } = await setup({
      onRcptTo: (_address, _session, callback) => callback(smtpError(451, '4.3.0 Try again later')),
    });

    const error = await sendError(provider.send(request()));

    expect(error.error).toEqual(expect.objectContaining({ kind: 'TEMPORARY', code: '4.3.0', permanent: false }));
  });

  it('should answer AUTH, temporary, when the server refuses our credentials', async () => {
    const { provider } = await setup(
      {
        authOptional: false,
        allowInsecureAuth: true,
        onAuth: (_auth, _session, callback) => callback(new Error('Invalid username or password')),
      },
      'herald:wrong@',
    );

    const error = await sendError(provider.send(request()));

    expect(error.error).toEqual(expect.objectContaining({ kind: 'AUTH', permanent: false }));
  });

  it('should answer TEMPORARY when no server listens', async () => {
    const { server, port } = await startServer();
    await new Promise((resolve) => server.close(() => resolve(undefined)));
    const provider = new SmtpProvider({ url: `smtp://127.0.0.1:${port}`, from: 'no-reply@herald.example' });
    cleanups.push(() => provider.close());

    const error = await sendError(provider.send(request()));

    expect(error.error).toEqual(expect.objectContaining({ kind: 'TEMPORARY', permanent: false }));
  });

  it('should refuse a message with neither text nor html without connecting', async () => {
    const { provider, received } = await setup();

    const error = await sendError(provider.send(request({ content: { subject: 'Empty' } })));

    expect(error.error).toEqual(expect.objectContaining({ kind: 'CONTENT_REJECTED', permanent: true }));
    expect(received).toEqual([]);
  });
});

describe(classifySmtpError.name, () => {
  it.each([
    [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'TEMPORARY', false],
    [{ code: 'ESOCKET', message: 'socket closed' }, 'TEMPORARY', false],
    [{ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication failed' }, 'AUTH', false],
    [
      { code: 'EMESSAGE', responseCode: 452, response: '452 4.3.1 Insufficient storage', command: 'DATA' },
      'TEMPORARY',
      false,
    ],
    [
      { code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 Spam detected', command: 'DATA' },
      'CONTENT_REJECTED',
      true,
    ],
    [
      { code: 'EMESSAGE', responseCode: 554, response: '554 Transaction failed', command: 'DATA' },
      'CONTENT_REJECTED',
      true,
    ],
    [
      { code: 'EENVELOPE', responseCode: 551, response: '551 User not local', command: 'RCPT TO' },
      'NOT_REACHABLE',
      true,
    ],
    [{ code: 'EENVELOPE', message: "Can't send mail - all recipients were rejected" }, 'NOT_REACHABLE', true],
    [{ code: 'EPROTOCOL', message: 'Invalid greeting' }, 'UNKNOWN', false],
  ])('should classify %j as %s', (error, kind, permanent) => {
    expect(classifySmtpError(error)).toEqual(expect.objectContaining({ kind, permanent }));
  });
});
