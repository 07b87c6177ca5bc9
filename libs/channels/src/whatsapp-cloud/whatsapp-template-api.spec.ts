import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { closedPort, json, startGraphServer, type GraphRequest } from './graph-server.testing.js';
import { ChannelSendError } from '../channel.port.js';
import { TemplateRefusedError, WhatsAppTemplateApi, type WhatsAppTemplateApiConfig } from './whatsapp-template-api.js';
import type { TemplateDefinition } from './whatsapp-templates.js';

const FIXTURES = new URL('../../../../test/fixtures/providers/', import.meta.url);
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const TOKEN = 'EAAG-test.token_123';
const WABA_ID = '102290129340398';
const LIST_FIELDS = 'id,name,language,status,category,components,previous_category,parameter_format,rejected_reason';

/** A local Graph API stand-in: records each request and answers with the current `reply` (one per call). */
let graph: Awaited<ReturnType<typeof startGraphServer>>;
let graphUrl: string;
let seen: GraphRequest[];
let replies: ((res: ServerResponse) => void)[];

beforeAll(async () => {
  graph = await startGraphServer((request, res) => {
    seen.push(request);
    const reply = replies.length > 1 ? replies.shift()! : replies[0];
    reply(res);
  });
  graphUrl = graph.url;
});

afterAll(() => graph.close());

beforeEach(() => {
  seen = [];
  replies = [json(200, fixture('whatsapp-template-create-response.json'))];
});

const api = (config: Partial<WhatsAppTemplateApiConfig> = {}) =>
  new WhatsAppTemplateApi({ accessToken: TOKEN, wabaId: WABA_ID, graphUrl, apiVersion: 'v23.0', ...config });

/** Meta's create-request fixture as a TemplateDefinition. */
function definition(): TemplateDefinition {
  const { name, language, category, components } = fixture('whatsapp-template-create-request.json');
  return { name, language, category, components };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (reason: unknown) => reason,
  );
  // Nothing the caller may log or store carries the access token.
  expect(JSON.stringify(error)).not.toContain(TOKEN);
  expect(String((error as Error).stack)).not.toContain(TOKEN);
  return error;
}

async function sendError(promise: Promise<unknown>): Promise<ChannelSendError> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(ChannelSendError);
  return error as ChannelSendError;
}

/** Meta's refusal of a template (Graph API error with a subcode and texts for the user). */
const refusalBody = {
  error: {
    message: 'Invalid parameter',
    type: 'OAuthException',
    code: 100,
    error_subcode: 2388023,
    is_transient: false,
    error_user_title: 'Message template language is being deleted',
    error_user_msg: 'New English content can’t be added while the existing English content is being deleted.',
    fbtrace_id: 'AOGkIhMzb0yRzY3eMk2yGqe',
  },
};

describe(WhatsAppTemplateApi.name, () => {
  describe('create', () => {
    it("should POST Meta's create body with the bearer token and return id, status and category", async () => {
      const result = await api({ graphUrl: `${graphUrl}/` }).create(definition());

      expect(seen).toHaveLength(1);
      const [call] = seen;
      expect(call.method).toBe('POST');
      expect(call.url.pathname).toBe(`/v23.0/${WABA_ID}/message_templates`);
      expect(call.url.search).toBe('');
      expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(call.headers['content-type']).toMatch(/^application\/json/);
      expect(call.body).toEqual(fixture('whatsapp-template-create-request.json'));
      expect(result).toEqual({ id: '1689556908129832', status: 'PENDING', category: 'UTILITY' });
    });

    it('should send parameter_format when given and read a numeric id as a string', async () => {
      replies = [json(200, { id: 1689556908129832, status: 'PENDING', category: 'MARKETING' })];
      const result = await api().create({ ...definition(), parameterFormat: 'NAMED' });
      expect(seen[0].body).toMatchObject({ name: 'seasonal_promotion_text_only', parameter_format: 'NAMED' });
      expect(result.id).toBe('1689556908129832');
    });

    it("should throw Meta's refusal as a TemplateRefusedError with its code, subcode and texts", async () => {
      replies = [json(400, refusalBody)];
      const error = await failure(api().create(definition()));
      expect(error).toBeInstanceOf(TemplateRefusedError);
      expect((error as TemplateRefusedError).refusal).toEqual({
        httpStatus: 400,
        code: '100',
        subcode: '2388023',
        type: 'OAuthException',
        message: 'Invalid parameter',
        userTitle: 'Message template language is being deleted',
        userMessage: 'New English content can’t be added while the existing English content is being deleted.',
        fbtraceId: 'AOGkIhMzb0yRzY3eMk2yGqe',
      });
      expect((error as Error).message).toBe(refusalBody.error.error_user_msg);
    });

    it('should make a 500 a TEMPORARY ChannelSendError, not a refusal', async () => {
      replies = [json(500, { error: { message: 'An unknown error occurred', type: 'OAuthException', code: 1 } })];
      const { error } = await sendError(api().create(definition()));
      expect(error).toMatchObject({ kind: 'TEMPORARY', permanent: false });

      replies = [
        (res) => {
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end('<html>Bad gateway</html>');
        },
      ];
      expect((await sendError(api().create(definition()))).error).toMatchObject({
        kind: 'TEMPORARY',
        code: 'HTTP_502',
      });
    });

    it('should make auth problems, rate limits and non-JSON 4xx ChannelSendErrors', async () => {
      replies = [json(401, { error: fixture('whatsapp-error-objects-pywa.json')['190'] })];
      expect((await sendError(api().create(definition()))).error).toMatchObject({ kind: 'AUTH', code: '190' });

      replies = [
        json(429, { error: { message: '(#4) Application request limit reached', code: 4 } }, { 'retry-after': '30' }),
      ];
      expect((await sendError(api().create(definition()))).error).toMatchObject({
        kind: 'RATE_LIMITED',
        code: '4',
        retryAfterSeconds: 30,
      });

      replies = [
        (res) => {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('Not Found');
        },
      ];
      expect((await sendError(api().create(definition()))).error).toMatchObject({ code: 'HTTP_404' });
    });

    it('should give up on a 2xx answer without an id', async () => {
      replies = [json(200, { status: 'PENDING' })];
      const { error } = await sendError(api().create(definition()));
      expect(error).toMatchObject({ kind: 'UNKNOWN', code: 'INVALID_RESPONSE', permanent: true });
    });

    it('should turn a refused connection or a timeout into TEMPORARY', async () => {
      const port = await closedPort();
      const refused = await sendError(api({ graphUrl: `http://127.0.0.1:${port}` }).create(definition()));
      expect(refused.error).toMatchObject({ kind: 'TEMPORARY', code: 'ECONNREFUSED', permanent: false });

      replies = [
        () => {
          // Never answers; the connection is closed in afterAll.
        },
      ];
      const timedOut = await sendError(api({ timeoutMs: 150 }).create(definition()));
      expect(timedOut.error).toMatchObject({ kind: 'TEMPORARY', code: 'TIMEOUT' });
    });
  });

  describe('listPage', () => {
    it("should follow Meta's cursors over two pages", async () => {
      const list = fixture('whatsapp-template-list-response.json');
      const first = {
        data: [list.data[0]],
        paging: { ...list.paging, next: `https://graph.facebook.com/v23.0/${WABA_ID}/message_templates?after=MjQZD` },
      };
      const second = { data: [list.data[1]], paging: { cursors: { before: 'MjQZD', after: 'MjUZD' } } };
      replies = [json(200, first), json(200, second)];

      const page1 = await api().listPage();
      const page2 = await api().listPage(page1.after!);

      expect(seen.map((call) => call.method)).toEqual(['GET', 'GET']);
      expect(seen[0].url.pathname).toBe(`/v23.0/${WABA_ID}/message_templates`);
      expect(Object.fromEntries(seen[0].url.searchParams)).toEqual({ fields: LIST_FIELDS, limit: '100' });
      expect(Object.fromEntries(seen[1].url.searchParams)).toEqual({
        fields: LIST_FIELDS,
        limit: '100',
        after: 'MjQZD',
      });
      expect(seen[0].headers.authorization).toBe(`Bearer ${TOKEN}`);

      expect(page1).toEqual({
        templates: [
          {
            id: '1192339204654487',
            name: 'hello_world',
            language: 'en_US',
            status: 'APPROVED',
            category: 'MARKETING',
            components: list.data[0].components,
            previousCategory: 'ACCOUNT_UPDATE',
          },
        ],
        after: 'MjQZD',
      });
      expect(page2).toEqual({
        templates: [
          {
            id: '920070352646140',
            name: '2023_april_promo',
            language: 'en_US',
            status: 'APPROVED',
            category: 'MARKETING',
            components: list.data[1].components,
          },
        ],
        after: null,
      });
    });

    it('should read the list fixture as one last page (cursors but no next) and keep optional fields', async () => {
      const list = fixture('whatsapp-template-list-response.json');
      list.data.push(
        {
          id: 555,
          name: 'order_ready',
          language: 'en',
          status: 'REJECTED',
          category: 'UTILITY',
          components: [],
          parameter_format: 'NAMED',
          rejected_reason: 'INVALID_FORMAT',
        },
        { name: 'no_id' },
        null,
      );
      replies = [json(200, list)];
      const page = await api().listPage();
      expect(page.after).toBeNull();
      expect(page.templates.map((t) => t.name)).toEqual(['hello_world', '2023_april_promo', 'order_ready']);
      expect(page.templates[2]).toMatchObject({
        id: '555',
        parameterFormat: 'NAMED',
        rejectedReason: 'INVALID_FORMAT',
      });
    });

    it('should refuse a 2xx answer without a data list', async () => {
      replies = [json(200, { paging: {} })];
      expect((await sendError(api().listPage())).error).toMatchObject({ kind: 'UNKNOWN', code: 'INVALID_RESPONSE' });
    });
  });

  describe('delete', () => {
    it('should DELETE by name and hsm_id', async () => {
      replies = [json(200, { success: true })];
      await api().delete('seasonal_promotion_text_only', '1689556908129832');
      await api().delete('hello world&x=1');

      expect(seen.map((call) => call.method)).toEqual(['DELETE', 'DELETE']);
      expect(seen[0].url.pathname).toBe(`/v23.0/${WABA_ID}/message_templates`);
      expect(Object.fromEntries(seen[0].url.searchParams)).toEqual({
        name: 'seasonal_promotion_text_only',
        hsm_id: '1689556908129832',
      });
      expect(Object.fromEntries(seen[1].url.searchParams)).toEqual({ name: 'hello world&x=1' });
      expect(seen[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(seen[0].body).toBeNull();
    });

    it("should throw Meta's refusal to delete, and a ChannelSendError on success: false", async () => {
      replies = [json(400, refusalBody)];
      expect(await failure(api().delete('x'))).toBeInstanceOf(TemplateRefusedError);

      replies = [json(200, { success: false })];
      expect((await sendError(api().delete('x'))).error).toMatchObject({ code: 'INVALID_RESPONSE' });
    });
  });
});
