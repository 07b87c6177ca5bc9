import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SendRequest } from '../channel.port.js';
import { rbmMessageId } from './rbm-message-id.js';
import { RBM_PROVIDER, RbmProvider } from './rbm.adapter.js';
import { sendError } from '../send-error.testing.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../../test/fixtures/providers/${name}`, import.meta.url), 'utf8'));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const AGENT = 'herald-test-agent';
const PHONE = '+447700900123';
const ATTEMPT = 'att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization?: string;
  body: unknown;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';
type Route = (seen: Seen) => Reply;

/** A local stand-in for the RBM API that records every request and answers as the test says. */
const capable: Route = () => ({ status: 200, body: fixture('rcs-capabilities-response.json') });
const accepted: Route = (seen) => ({
  status: 200,
  body: { name: `phones/${PHONE}/agentMessages/x`, ...(seen.body as object) },
});

class FakeRbm {
  readonly seen: Seen[] = [];
  capabilities = capable;
  agentMessages = accepted;
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));
  private readonly hanging: ServerResponse[] = [];

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.hanging.forEach((res) => res.destroy());
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  reset(): void {
    this.seen.length = 0;
    this.capabilities = capable;
    this.agentMessages = accepted;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = Buffer.concat(chunks).toString();
    const seen: Seen = {
      method: req.method ?? '',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      authorization: req.headers.authorization,
      body: text ? JSON.parse(text) : undefined,
    };
    this.seen.push(seen);
    const route = seen.path.endsWith('/capabilities') ? this.capabilities : this.agentMessages;
    const reply = route(seen);
    if (reply === 'hang') {
      this.hanging.push(res);
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }
}

const googleError = (code: number, status: string, message: string) => ({ error: { code, message, status } });

function request(overrides: Partial<SendRequest> = {}): SendRequest {
  return {
    attemptId: ATTEMPT,
    workspaceId: 'ws-1',
    channel: 'rcs',
    address: PHONE,
    content: { text: 'Hello World' },
    ...overrides,
  };
}

describe(RbmProvider.name, () => {
  const fake = new FakeRbm();
  let provider: RbmProvider;
  let baseUrl: string;
  let tokenCalls = 0;

  beforeAll(async () => {
    baseUrl = await fake.start();
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    tokenCalls = 0;
    provider = new RbmProvider(
      { agentId: AGENT, baseUrl: `${baseUrl}/` },
      async () => {
        tokenCalls += 1;
        return 'ya29.test-token';
      },
      undefined,
      { timeoutMs: 300, now: () => Date.parse('2026-01-01T00:00:00Z') },
    );
  });

  it('should call itself google-rbm on the rcs channel', () => {
    expect(provider.name).toBe(RBM_PROVIDER);
    expect(provider.name).toBe('google-rbm');
    expect(provider.channel).toBe('rcs');
  });

  describe('send', () => {
    it('should check capabilities and then send the text fixture body with a Bearer token', async () => {
      const result = await provider.send(request());

      expect(fake.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
        `GET /v1/phones/${PHONE}/capabilities`,
        `POST /v1/phones/${PHONE}/agentMessages`,
      ]);
      const [capabilities, send] = fake.seen as [Seen, Seen];
      expect(capabilities.authorization).toBe('Bearer ya29.test-token');
      expect(capabilities.query.get('agentId')).toBe(AGENT);
      expect(capabilities.query.get('requestId')).toMatch(UUID);
      expect(send.authorization).toBe('Bearer ya29.test-token');
      expect(send.query.get('agentId')).toBe(AGENT);
      expect(send.query.get('messageId')).toBe('0190f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6');
      expect(send.body).toEqual(fixture('rcs-agent-message-text-request.json'));
      expect(result).toEqual({
        providerMessageId: '0190f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6',
        status: 'submitted',
        raw: expect.objectContaining({ capabilities: fixture('rcs-capabilities-response.json') }),
      });
    });

    it('should re-use the same messageId when an attempt is sent again', async () => {
      const first = await provider.send(request());
      const second = await provider.send(request());

      expect(second.providerMessageId).toBe(first.providerMessageId);
      const ids = fake.seen.filter((s) => s.method === 'POST').map((s) => s.query.get('messageId'));
      expect(ids).toEqual([first.providerMessageId, first.providerMessageId]);
    });

    it('should pass suggestions through and turn validUntil into a ttl', async () => {
      const card = fixture('rcs-agent-message-richcard-request.json') as {
        contentMessage: { richCard: { standaloneCard: { cardContent: { suggestions: unknown[] } } } };
      };
      const suggestions = card.contentMessage.richCard.standaloneCard.cardContent.suggestions;

      await provider.send(
        request({
          content: { text: 'Pick one', suggestions },
          validUntil: new Date('2026-01-01T01:00:00Z'),
        }),
      );

      expect(fake.seen[1]?.body).toEqual({ contentMessage: { text: 'Pick one', suggestions }, ttl: '3600s' });
    });

    it('should answer NOT_REACHABLE and send nothing when the phone is not RCS-capable', async () => {
      fake.capabilities = () => ({
        status: 404,
        body: googleError(404, 'NOT_FOUND', 'Requested entity was not found.'),
      });

      const error = await sendError(provider.send(request()));

      expect(error.error).toEqual({
        kind: 'NOT_REACHABLE',
        code: 'NOT_FOUND',
        message: 'Requested entity was not found.',
        permanent: true,
      });
      expect(fake.seen.filter((s) => s.path.endsWith('/agentMessages'))).toEqual([]);
    });

    it.each([
      [404, 'NOT_FOUND', 'NOT_REACHABLE', true],
      [400, 'INVALID_ARGUMENT', 'CONTENT_REJECTED', true],
      [401, 'UNAUTHENTICATED', 'AUTH', false],
      [403, 'PERMISSION_DENIED', 'AUTH', false],
      [429, 'RESOURCE_EXHAUSTED', 'RATE_LIMITED', false],
      [500, 'INTERNAL', 'TEMPORARY', false],
      [503, 'UNAVAILABLE', 'TEMPORARY', false],
    ])('should classify HTTP %i %s from agentMessages as %s', async (status, googleStatus, kind, permanent) => {
      fake.agentMessages = () => ({ status, body: googleError(status, googleStatus, 'no') });

      const error = await sendError(provider.send(request()));

      expect(error.error).toEqual({ kind, code: googleStatus, message: 'no', permanent });
    });

    it('should keep the Retry-After of a rate limit', async () => {
      fake.agentMessages = () => ({
        status: 429,
        body: googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'),
        headers: { 'retry-after': '7' },
      });

      const error = await sendError(provider.send(request()));

      expect(error.error).toMatchObject({ kind: 'RATE_LIMITED', retryAfterSeconds: 7, permanent: false });
    });

    it('should treat 409 ALREADY_EXISTS as the earlier try of this attempt having got through', async () => {
      fake.agentMessages = () => ({ status: 409, body: googleError(409, 'ALREADY_EXISTS', 'duplicate') });

      const result = await provider.send(request());

      expect(result.providerMessageId).toBe(rbmMessageId(ATTEMPT));
      expect(result.status).toBe('submitted');
    });

    it('should answer TEMPORARY when RBM does not answer in time', async () => {
      fake.agentMessages = () => 'hang';

      const error = await sendError(provider.send(request()));

      expect(error.error).toMatchObject({ kind: 'TEMPORARY', permanent: false });
    });

    it('should answer TEMPORARY when RBM cannot be reached', async () => {
      const closed = new RbmProvider({ agentId: AGENT, baseUrl: 'http://127.0.0.1:1' }, async () => 't');

      const error = await sendError(closed.send(request()));

      expect(error.error).toMatchObject({ kind: 'TEMPORARY', code: 'ECONNREFUSED', permanent: false });
    });

    it('should refuse a non-E.164 address without calling RBM', async () => {
      const error = await sendError(provider.send(request({ address: '07700900123' })));

      expect(error.error).toMatchObject({ kind: 'INVALID_ADDRESS', permanent: true });
      expect(fake.seen).toEqual([]);
      expect(tokenCalls).toBe(0);
    });

    it('should refuse content without text without calling RBM', async () => {
      const error = await sendError(provider.send(request({ content: { html: '<p>hi</p>' } })));

      expect(error.error).toMatchObject({ kind: 'CONTENT_REJECTED', permanent: true });
      expect(fake.seen).toEqual([]);
    });

    it('should answer AUTH, temporary, when no token can be minted', async () => {
      const noToken = new RbmProvider({ agentId: AGENT, baseUrl }, () => Promise.reject(new Error('invalid_grant')));

      const error = await sendError(noToken.send(request()));

      expect(error.error).toMatchObject({ kind: 'AUTH', code: 'TOKEN_UNAVAILABLE', permanent: false });
      expect(fake.seen).toEqual([]);
    });
  });
});

describe(rbmMessageId.name, () => {
  it('should format the 32 hex digits of an attempt id as a UUID', () => {
    expect(rbmMessageId('att_0190F3A1B2C37D4E8F90A1B2C3D4E5F6')).toBe('0190f3a1-b2c3-7d4e-8f90-a1b2c3d4e5f6');
  });

  it('should derive a stable UUID from an id of another shape', () => {
    const id = rbmMessageId('att-legacy-42');

    expect(id).toMatch(UUID);
    expect(rbmMessageId('att-legacy-42')).toBe(id);
    expect(rbmMessageId('att-legacy-43')).not.toBe(id);
  });
});
