import { createHmac, timingSafeEqual } from 'node:crypto';
import type { StatusReport, WebhookEvent, WebhookHandler, WebhookRequest } from '../channel.port.js';
import { RBM_PROVIDER } from './rbm.adapter.js';

/** The Pub/Sub-style push envelope RBM posts; only `message.data` (base64 JSON of the event) is documented. */
interface RbmEnvelope {
  message?: { data?: unknown; messageId?: string; publishTime?: string };
}

/** A decoded RBM event: a user event, a server (TTL) event or a user message. */
interface RbmEvent {
  eventType?: string;
  eventId?: string;
  messageId?: string;
  senderPhoneNumber?: string;
  phoneNumber?: string;
  sendTime?: string;
  agentId?: string;
  text?: string;
  suggestionResponse?: { postbackData?: string; text?: string };
  userFile?: unknown;
  location?: unknown;
}

const asObject = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

const parseJson = (raw: Buffer | string): unknown => {
  try {
    return JSON.parse(raw.toString());
  } catch {
    return undefined;
  }
};

/** The decoded bytes of `message.data`, or undefined when the body is not an RBM push. */
function eventBytes(rawBody: Buffer): Buffer | undefined {
  const data = (parseJson(rawBody) as RbmEnvelope | undefined)?.message?.data;
  return typeof data === 'string' && data.length > 0 ? Buffer.from(data, 'base64') : undefined;
}

const equalInConstantTime = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** Base64 HMAC-SHA512 of the decoded event with the agent's client token: what `X-Goog-Signature` carries. */
export function rbmSignature(clientToken: string, decodedData: Buffer): string {
  return createHmac('sha512', clientToken).update(decodedData).digest('base64');
}

/**
 * Google's webhook registration handshake posts `{clientToken, secret}`; the endpoint proves it knows the
 * client token by echoing the secret. Returns the secret to answer with, or null for anything else.
 */
export function verificationAnswer(body: Buffer | string | unknown, clientToken: string): string | null {
  const parsed = asObject(Buffer.isBuffer(body) || typeof body === 'string' ? parseJson(body) : body);
  if (!parsed || typeof parsed.clientToken !== 'string' || typeof parsed.secret !== 'string') return null;
  return equalInConstantTime(parsed.clientToken, clientToken) ? parsed.secret : null;
}

/** RBM stamps times in RFC 3339 with nanoseconds; a Date keeps milliseconds. */
const toDate = (value: string | undefined, fallback: Date): Date => {
  if (!value) return fallback;
  const date = new Date(value.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(date.getTime()) ? fallback : date;
};

/** Verifies and parses RBM agent webhooks (`POST /webhooks/rbm`). */
export class RbmWebhookHandler implements WebhookHandler {
  constructor(
    private readonly clientToken: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  verify(request: WebhookRequest): boolean {
    const signature = request.headers['x-goog-signature'];
    const data = eventBytes(request.rawBody);
    if (!signature || !data) return false;
    return equalInConstantTime(signature, rbmSignature(this.clientToken, data));
  }

  parse(request: WebhookRequest): WebhookEvent[] {
    const data = eventBytes(request.rawBody);
    if (!data) throw new Error('Not an RBM webhook: no message.data');
    const event = asObject(parseJson(data)) as RbmEvent | undefined;
    if (!event) throw new Error('Not an RBM webhook: message.data is not a JSON object');
    const at = toDate(event.sendTime, this.now());
    const raw = event;

    switch (event.eventType) {
      case 'DELIVERED':
        return this.status(event, 'delivered', at);
      case 'READ':
        return this.status(event, 'read', at);
      case 'TTL_EXPIRATION_REVOKED':
        // RBM took the message back undelivered when its TTL ran out: the attempt is over, the cascade moves on.
        return this.status(event, 'expired', at, {
          kind: 'NOT_REACHABLE',
          code: 'TTL_EXPIRATION_REVOKED',
          message: 'Not delivered before its TTL; RBM revoked it',
          permanent: true,
        });
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!event.senderPhoneNumber) return [];
        const granted = event.eventType === 'SUBSCRIBE';
        return [
          {
            kind: 'consent',
            channel: 'rcs',
            provider: RBM_PROVIDER,
            address: event.senderPhoneNumber,
            granted,
            at,
            raw,
          },
        ];
      }
      case undefined:
        return this.inbound(event, at);
      default:
        // IS_TYPING, TTL_EXPIRATION_REVOKE_FAILED (the message was already delivered) and future types.
        return [];
    }
  }

  private status(
    event: RbmEvent,
    status: StatusReport['status'],
    at: Date,
    error?: StatusReport['error'],
  ): WebhookEvent[] {
    if (!event.messageId) return [];
    const report: StatusReport = { provider: RBM_PROVIDER, providerMessageId: event.messageId, status, at, raw: event };
    if (error) report.error = error;
    return [{ kind: 'status', report }];
  }

  private inbound(event: RbmEvent, at: Date): WebhookEvent[] {
    const isMessage =
      event.text !== undefined ||
      event.suggestionResponse !== undefined ||
      event.userFile !== undefined ||
      event.location !== undefined;
    if (!isMessage || !event.senderPhoneNumber || !event.messageId) return [];
    const text = event.text ?? event.suggestionResponse?.text ?? event.suggestionResponse?.postbackData;
    return [
      {
        kind: 'inbound',
        channel: 'rcs',
        provider: RBM_PROVIDER,
        providerMessageId: event.messageId,
        from: event.senderPhoneNumber,
        ...(text === undefined ? {} : { text }),
        at,
        raw: event,
      },
    ];
  }
}
