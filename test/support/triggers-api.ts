import { expect } from '@jest/globals';
import { eventually, type HttpAnswer, type TestHerald } from './herald.js';

/** A firing as GET /v1/triggers/{id}/firings shows it. */
export interface FiringView {
  id: string;
  contactId: string;
  kind: string;
  status: string;
  reason: string | null;
  detail: string | null;
  messageId: string | null;
  convertedAt: string | null;
  delayed: { reason: string; until: string } | null;
}

/** The calls the trigger tests make, as one workspace (its API key). */
export function triggersApi(herald: TestHerald, key: string) {
  const api = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
    herald.request(method, path, { key, ...(body === undefined ? {} : { body }) });
  const firings = async (trigger: string, contactId: string): Promise<FiringView[]> =>
    (await api('GET', `/v1/triggers/${trigger}/firings?contactId=${encodeURIComponent(contactId)}`)).body.data;
  return {
    api,
    firings,
    async contact(id: string, body: Record<string, unknown>): Promise<void> {
      expect((await api('PUT', `/v1/contacts/${id}`, body)).status).toBe(200);
    },
    async track(contactId: string, event: string, properties: Record<string, unknown> = {}, id?: string) {
      const answer = await api('POST', '/v1/events', { contactId, event, properties, ...(id ? { id } : {}) });
      expect(answer.status).toBe(202);
      return answer.body as { id: string; duplicate: boolean };
    },
    async createTrigger(body: Record<string, unknown>): Promise<string> {
      const answer = await api('POST', '/v1/triggers', body);
      expect(answer.status).toBe(201);
      return answer.body.id as string;
    },
    /** The contact's firings of a rule once at least `n` exist and none is waiting. */
    settled: (trigger: string, contactId: string, n = 1): Promise<FiringView[]> =>
      eventually(
        () => firings(trigger, contactId),
        (list) => list.length >= n && list.every((f) => f.status !== 'waiting'),
        15_000,
      ),
  };
}

/** `status` or `status:reason` of each firing, sorted. */
export const outcomes = (list: { status: string; reason: string | null }[]): string[] =>
  list.map((f) => (f.reason ? `${f.status}:${f.reason}` : f.status)).sort();

export const sms = (text: string) => ({ channels: ['sms'], content: { text } });
