import { expect } from '@jest/globals';
import { eventually, type HttpAnswer, type TestHerald } from './support/herald.js';

/** The parts of API §4's message view that the message e2e tests read. */
export interface AttemptView {
  id: string;
  channel: string;
  provider: string | null;
  providerMessageId: string | null;
  status: string;
  tries: number;
  error?: { code: string; message: string; permanent: boolean };
  submittedAt?: string;
  deliveredAt?: string;
  readAt?: string;
  failedAt?: string;
  createdAt: string;
}

export interface EventView {
  at: string;
  type: string;
  channel?: string;
  attemptId?: string;
  detail?: string;
}

export interface MessageView {
  id: string;
  status: string;
  channel: string | null;
  channels: string[];
  reference: string | null;
  to: Record<string, string> | null;
  sendAt: string | null;
  validUntil: string | null;
  attempts: AttemptView[];
  events: EventView[];
  createdAt: string;
  updatedAt: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details: { field: string; issue: string }[]; requestId: string };
}

/** Final failure statuses: a message in one of them never changes again. */
export const FAILURE_STATUSES = ['failed', 'expired', 'rejected', 'canceled'];

/** A workspace-scoped client for the messages API, over real HTTP. */
export class MessageApi {
  constructor(
    readonly herald: TestHerald,
    readonly key: string,
  ) {}

  send(body: unknown, headers?: Record<string, string>): Promise<HttpAnswer> {
    return this.herald.request('POST', '/v1/messages', { key: this.key, body, headers });
  }

  /** Sends a message that must be accepted and returns its id. */
  async accept(body: unknown): Promise<string> {
    const answer = await this.send(body);
    expect(answer.status).toBe(202);
    return answer.body.id as string;
  }

  async get(id: string): Promise<MessageView> {
    const answer = await this.herald.request<MessageView>('GET', `/v1/messages/${id}`, { key: this.key });
    if (answer.status !== 200) throw new Error(`GET ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Polls the message until `done` holds (generous timeout: the suite shares one database with other workers). */
  until(id: string, done: (message: MessageView) => boolean, timeoutMs = 20_000): Promise<MessageView> {
    return eventually(() => this.get(id), done, timeoutMs);
  }

  /** Polls until the message has `status`, or has ended in a failure (so a wrong outcome fails fast). */
  untilStatus(id: string, status: string, timeoutMs?: number): Promise<MessageView> {
    return this.until(id, (m) => m.status === status || FAILURE_STATUSES.includes(m.status), timeoutMs);
  }

  list(query: string): Promise<HttpAnswer> {
    return this.herald.request('GET', `/v1/messages${query ? `?${query}` : ''}`, { key: this.key });
  }

  cancel(id: string): Promise<HttpAnswer> {
    return this.herald.request('POST', `/v1/messages/${id}/cancel`, { key: this.key });
  }

  putContact(externalId: string, body: unknown): Promise<HttpAnswer> {
    return this.herald.request('PUT', `/v1/contacts/${externalId}`, { key: this.key, body });
  }
}

/** A plain one-channel SMS body. */
export const smsTo = (phone: string, extra: Record<string, unknown> = {}) => ({
  to: { phone },
  channels: ['sms'],
  content: { text: 'Hello from Herald' },
  ...extra,
});

/** Asserts API §2's error body and returns it. */
export function expectError(answer: HttpAnswer, status: number, code: string): ErrorBody['error'] {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  const error = (answer.body as ErrorBody).error;
  expect(typeof error.message).toBe('string');
  expect(Array.isArray(error.details)).toBe(true);
  expect(typeof error.requestId).toBe('string');
  expect(error.requestId.length).toBeGreaterThan(0);
  for (const detail of error.details) {
    expect(typeof detail.field).toBe('string');
    expect(typeof detail.issue).toBe('string');
  }
  return error;
}

export const fields = (error: ErrorBody['error']): string[] => error.details.map((d) => d.field);

export const eventTypes = (message: MessageView): string[] => message.events.map((e) => e.type);

export const attemptSummary = (message: MessageView): [string, string][] =>
  message.attempts.map((a) => [a.channel, a.status]);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
