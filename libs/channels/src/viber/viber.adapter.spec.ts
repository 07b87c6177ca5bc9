import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChannelContent, SendRequest } from '../channel.port.js';
import { ViberProvider, type ViberConfig } from './viber.adapter.js';
import { sendError } from '../send-error.testing.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../../test/fixtures/providers/${name}`, import.meta.url), 'utf8');

const TOKEN = '445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9';
const RECEIVER = '01234567890A=';
/** Above 2^53: a plain JSON.parse would turn it into 9223372036854775808. */
const BIG_TOKEN_ANSWER = '{"status":0,"status_message":"ok","message_token":9223372036854775807}';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: any;
}
type Answer = (received: Received, res: ServerResponse) => void;

/** A local stand-in for chatapi.viber.com: records each request and answers with the current `answer`. */
let server: Server;
let baseUrl: string;
let received: Received[] = [];
let answer: Answer = () => undefined;

const reply =
  (text: string, httpStatus = 200): Answer =>
  (_received, res) => {
    res.writeHead(httpStatus, { 'content-type': 'application/json' });
    res.end(text);
  };

/** Answers like Viber: status 2 unless the request carries the right token. */
const viber =
  (text: string): Answer =>
  (request, res) =>
    request.headers['x-viber-auth-token'] === TOKEN
      ? reply(text)(request, res)
      : reply('{"status":2,"status_message":"invalidAuthToken"}')(request, res);

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: Received = { method: req.method, url: req.url, headers: req.headers, body: JSON.parse(text) };
      received.push(request);
      answer(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pa`;
});

afterEach(() => {
  received = [];
  answer = () => undefined;
});

afterAll(async () => {
  // Drops kept-alive sockets and any request a timeout test left unanswered.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const provider = (config: Partial<ViberConfig> = {}) =>
  new ViberProvider({ authToken: TOKEN, senderName: 'Herald', baseUrl, ...config });

const request = (content: ChannelContent = { text: 'Hello' }, address = RECEIVER): SendRequest => ({
  attemptId: 'att-1',
  workspaceId: 'ws-1',
  channel: 'viber',
  address,
  content,
});

describe(ViberProvider.name, () => {
  it('should call itself viber on the viber channel', () => {
    expect(provider()).toMatchObject({ name: 'viber', channel: 'viber' });
  });

  it('should post a text message with the auth header and keep every digit of a 64-bit message_token', async () => {
    answer = viber(BIG_TOKEN_ANSWER);
    const result = await provider({ baseUrl: `${baseUrl}/` }).send(request({ text: 'Hello' }));

    expect(result).toMatchObject({ providerMessageId: '9223372036854775807', status: 'submitted' });
    expect(received).toHaveLength(1);
    const [sent] = received;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/pa/send_message');
    expect(sent.headers['x-viber-auth-token']).toBe(TOKEN);
    expect(sent.headers['content-type']).toMatch(/^application\/json/);
    expect(sent.body).toEqual({
      receiver: RECEIVER,
      min_api_version: 1,
      sender: { name: 'Herald' },
      tracking_data: 'att-1',
      type: 'text',
      text: 'Hello',
    });
  });

  it("should send a body of the shape of Viber's own send_message example", async () => {
    const example = JSON.parse(fixture('viber-send-message-request.json')) as {
      receiver: string;
      text: string;
      sender: { name: string; avatar: string };
    };
    answer = viber('{"status":0,"status_message":"ok","message_token":5741311803571721087}');
    const viberBot = provider({ senderName: example.sender.name, senderAvatar: example.sender.avatar });
    const result = await viberBot.send(request({ text: example.text }, example.receiver));

    expect(received[0].body).toMatchObject(example);
    expect(result.providerMessageId).toBe('5741311803571721087');
  });

  it('should send a picture with its caption and the button as an open-url keyboard', async () => {
    answer = viber('{"status":0,"status_message":"ok","message_token":1478683725125}');
    const result = await provider().send(
      request({
        text: 'Your cart',
        imageUrl: 'https://shop.example/cart.jpg',
        button: { text: 'Open', url: 'https://shop.example/cart/1' },
      }),
    );

    expect(result.providerMessageId).toBe('1478683725125');
    expect(received[0].body).toMatchObject({
      type: 'picture',
      text: 'Your cart',
      media: 'https://shop.example/cart.jpg',
      keyboard: {
        Type: 'keyboard',
        Buttons: [{ ActionType: 'open-url', ActionBody: 'https://shop.example/cart/1', Text: 'Open' }],
      },
    });
  });

  it('should refuse content with neither text nor image without calling Viber', async () => {
    const error = await sendError(provider().send(request({ button: { text: 'Open', url: 'https://x.example' } })));
    expect(error.error).toMatchObject({ kind: 'CONTENT_REJECTED', permanent: true });
    expect(received).toHaveLength(0);
  });

  it('should report status 6 (receiver not subscribed) as permanently not reachable', async () => {
    answer = viber('{"status":6,"status_message":"notSubscribed","chat_hostname":"SN-CHAT-05_"}');
    const error = await sendError(provider().send(request()));
    expect(error.error).toEqual({ kind: 'NOT_REACHABLE', code: '6', message: 'notSubscribed', permanent: true });
  });

  it("should report Viber's status-12 answer as rate limited, to retry", async () => {
    answer = viber(fixture('viber-send-message-error-status12.json'));
    const error = await sendError(provider().send(request()));
    expect(error.error).toEqual({ kind: 'RATE_LIMITED', code: '12', message: 'Too many requests', permanent: false });
  });

  it('should report a wrong token as a temporary auth error', async () => {
    answer = viber(BIG_TOKEN_ANSWER);
    const error = await sendError(provider({ authToken: 'wrong' }).send(request()));
    expect(error.error).toMatchObject({ kind: 'AUTH', code: '2', permanent: false });
  });

  it('should report a Viber that does not answer in time as temporary', async () => {
    answer = () => undefined;
    const started = Date.now();
    const error = await sendError(provider({ timeoutMs: 200 }).send(request()));
    expect(error.error).toMatchObject({ kind: 'TEMPORARY', code: 'TIMEOUT', permanent: false });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('should report a 5xx as temporary', async () => {
    answer = reply('<html>Bad gateway</html>', 502);
    const error = await sendError(provider().send(request()));
    expect(error.error).toMatchObject({ kind: 'TEMPORARY', code: 'HTTP_502', permanent: false });
  });

  it('should report a refused connection as temporary', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = await sendError(provider({ baseUrl: `http://127.0.0.1:${port}/pa` }).send(request()));
    expect(error.error).toMatchObject({ kind: 'TEMPORARY', code: 'ECONNREFUSED', permanent: false });
  });

  it('should not take an answer without a Viber status as success', async () => {
    answer = reply('<html>ok</html>');
    const error = await sendError(provider().send(request()));
    expect(error.error).toMatchObject({ kind: 'UNKNOWN', permanent: false });
  });

  it('should refuse a sender name Viber would refuse', () => {
    expect(() => provider({ senderName: 'x'.repeat(29) })).toThrow('senderName');
    expect(() => provider({ authToken: '' })).toThrow('authToken');
  });
});
