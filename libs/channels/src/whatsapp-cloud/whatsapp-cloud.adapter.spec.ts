import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { closedPort, json, startGraphServer, type GraphRequest } from './graph-server.testing.js';
import { ChannelSendError, type ChannelContent, type SendRequest } from '../channel.port.js';
import { WhatsAppCloudProvider, type WhatsAppCloudConfig } from './whatsapp-cloud.adapter.js';

const FIXTURES = new URL('../../../../test/fixtures/providers/', import.meta.url);
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const TOKEN = 'EAAG-test.token_123';
const PHONE_NUMBER_ID = '106540352242922';

/** A local Graph API stand-in: records each request and answers with the current `reply`. */
let graph: Awaited<ReturnType<typeof startGraphServer>>;
let graphUrl: string;
let seen: GraphRequest[];
let reply: (res: ServerResponse) => void;

beforeAll(async () => {
  graph = await startGraphServer((request, res) => {
    seen.push(request);
    reply(res);
  });
  graphUrl = graph.url;
});

afterAll(() => graph.close());

beforeEach(() => {
  seen = [];
  reply = json(200, fixture('whatsapp-send-response.json'));
});

const provider = (config: Partial<WhatsAppCloudConfig> = {}) =>
  new WhatsAppCloudProvider({
    accessToken: TOKEN,
    phoneNumberId: PHONE_NUMBER_ID,
    graphUrl,
    apiVersion: 'v23.0',
    ...config,
  });

const request = (content: ChannelContent, address = '+16505551234'): SendRequest => ({
  attemptId: 'att-1',
  workspaceId: 'ws-1',
  channel: 'whatsapp',
  address,
  content,
});

async function sendError(promise: Promise<unknown>): Promise<ChannelSendError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the send to be refused');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ChannelSendError);
  // Nothing the caller may log or store carries the access token.
  expect(JSON.stringify(error)).not.toContain(TOKEN);
  expect(String((error as Error).stack)).not.toContain(TOKEN);
  return error as ChannelSendError;
}

describe(WhatsAppCloudProvider.name, () => {
  it('should name itself whatsapp-cloud on the whatsapp channel', () => {
    expect(provider().name).toBe('whatsapp-cloud');
    expect(provider().channel).toBe('whatsapp');
  });

  it('should POST a text message with the bearer token and return the wamid', async () => {
    const result = await provider().send(request({ text: 'Hello Ana' }));

    expect(seen).toHaveLength(1);
    const [call] = seen;
    expect(call.method).toBe('POST');
    expect(call.path).toBe(`/v23.0/${PHONE_NUMBER_ID}/messages`);
    expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call.headers['content-type']).toMatch(/^application\/json/);
    expect(call.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '16505551234',
      type: 'text',
      text: { body: 'Hello Ana', preview_url: false },
    });
    expect(result).toEqual({
      providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA',
      status: 'submitted',
      raw: fixture('whatsapp-send-response.json'),
    });
  });

  it('should POST a template message built from its parameters', async () => {
    const template = fixture('whatsapp-send-template-text-request.json').template;
    const result = await provider({ graphUrl: `${graphUrl}/` }).send(
      request({
        template: {
          name: template.name,
          language: template.language.code,
          parameters: { body: template.components[0].parameters },
        },
      }),
    );

    expect(seen[0].path).toBe(`/v23.0/${PHONE_NUMBER_ID}/messages`);
    expect(seen[0].body).toEqual({ ...fixture('whatsapp-send-template-text-request.json'), to: '16505551234' });
    expect(result.providerMessageId).toMatch(/^wamid\./);
  });

  it('should turn a 429 with code 130429 into RATE_LIMITED with the Retry-After wait', async () => {
    reply = json(
      429,
      { error: { message: '(#130429) Rate limit hit', type: 'OAuthException', code: 130429, fbtrace_id: 'A' } },
      { 'retry-after': '7' },
    );
    const { error } = await sendError(provider().send(request({ text: 'Hi' })));
    expect(error).toEqual({
      kind: 'RATE_LIMITED',
      code: '130429',
      message: '(#130429) Rate limit hit',
      permanent: false,
      retryAfterSeconds: 7,
    });
  });

  it("should classify Meta's refusal of an unknown template", async () => {
    reply = json(404, fixture('whatsapp-error-132001-template-not-found.json'));
    const { error } = await sendError(provider().send(request({ template: { name: 'cg_quest_text' } })));
    expect(error).toMatchObject({ kind: 'TEMPLATE_NOT_APPROVED', code: '132001', permanent: true });
  });

  it('should classify an invalid token as AUTH', async () => {
    reply = json(401, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } });
    const { error } = await sendError(provider().send(request({ text: 'Hi' })));
    expect(error).toMatchObject({ kind: 'AUTH', code: '190', permanent: false });
  });

  it('should make a 5xx without a Meta body temporary', async () => {
    reply = (res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    };
    const { error } = await sendError(provider().send(request({ text: 'Hi' })));
    expect(error).toMatchObject({ kind: 'TEMPORARY', code: 'HTTP_502', permanent: false });
  });

  it('should turn a timeout into TEMPORARY', async () => {
    reply = () => {
      // Never answers; the connection is closed in afterAll.
    };
    const started = Date.now();
    const { error } = await sendError(provider({ timeoutMs: 150 }).send(request({ text: 'Hi' })));
    expect(error).toMatchObject({ kind: 'TEMPORARY', code: 'TIMEOUT', permanent: false });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('should turn a refused connection into TEMPORARY', async () => {
    const port = await closedPort();

    const { error } = await sendError(provider({ graphUrl: `http://127.0.0.1:${port}` }).send(request({ text: 'Hi' })));
    expect(error).toMatchObject({ kind: 'TEMPORARY', code: 'ECONNREFUSED', permanent: false });
  });

  it('should give up on a 2xx answer without a message id rather than risk a second send', async () => {
    reply = json(200, { messaging_product: 'whatsapp', messages: [] });
    const { error } = await sendError(provider().send(request({ text: 'Hi' })));
    expect(error).toMatchObject({ kind: 'UNKNOWN', code: 'INVALID_RESPONSE', permanent: true });
  });

  it('should refuse an address that is not a phone number without calling Meta', async () => {
    const { error } = await sendError(provider().send(request({ text: 'Hi' }, 'not-a-number')));
    expect(error).toMatchObject({ kind: 'INVALID_ADDRESS', permanent: true });
    expect(seen).toHaveLength(0);
  });
});
