import { createHmac, timingSafeEqual } from 'node:crypto';
import type { StatusReport, WebhookEvent, WebhookHandler, WebhookRequest } from '../channel.port.js';
import { isViberObject, messageTokenDigits, parseViberJson, type ViberObject } from './viber-json.js';
import { classifyViberFailure } from './viber-status.js';
import { VIBER_PROVIDER } from './viber.adapter.js';

export const VIBER_SIGNATURE_HEADER = 'x-viber-content-signature';
const SIGNATURE_FORMAT = /^[0-9a-f]{64}$/i;

const DELIVERY_STATUS: Record<string, StatusReport['status']> = {
  delivered: 'delivered',
  seen: 'read',
  failed: 'failed',
};

/** Viber bot callbacks (`POST /webhooks/viber`): signed with the bot's auth token over the raw body. */
export class ViberWebhookHandler implements WebhookHandler {
  constructor(private readonly config: { authToken: string }) {
    // An empty key would make every signature computable by anyone.
    if (!config.authToken) throw new Error('Viber authToken is required');
  }

  verify(request: WebhookRequest): boolean {
    const signature = request.headers[VIBER_SIGNATURE_HEADER];
    if (!signature || !SIGNATURE_FORMAT.test(signature)) return false;
    const expected = createHmac('sha256', this.config.authToken).update(request.rawBody).digest();
    return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
  }

  parse(request: WebhookRequest): WebhookEvent[] {
    const body = parseViberJson(request.rawBody.toString('utf8'));
    if (!isViberObject(body) || typeof body.event !== 'string') throw new Error('Not a Viber callback: no event');
    const event = body.event;
    const status = DELIVERY_STATUS[event];
    if (status) return [statusEvent(body, status)];
    switch (event) {
      case 'subscribed':
        return [consentEvent(body, userIdOf(body.user), true)];
      case 'unsubscribed':
        return [consentEvent(body, body.user_id, false)];
      case 'message':
        return [inboundEvent(body)];
      default:
        // `webhook` (set_webhook's check), `conversation_started` (no consent yet) and events Viber adds later.
        return [];
    }
  }
}

function statusEvent(body: ViberObject, status: StatusReport['status']): WebhookEvent {
  const report: StatusReport = {
    provider: VIBER_PROVIDER,
    providerMessageId: tokenOf(body),
    status,
    at: timestampOf(body),
    raw: body,
  };
  if (status === 'failed') report.error = classifyViberFailure(typeof body.desc === 'string' ? body.desc : undefined);
  return { kind: 'status', report };
}

function consentEvent(body: ViberObject, address: unknown, granted: boolean): WebhookEvent {
  if (typeof address !== 'string' || !address)
    throw new Error(`Viber ${String(body.event)} callback without a user id`);
  return {
    kind: 'consent',
    channel: 'viber',
    provider: VIBER_PROVIDER,
    address,
    granted,
    at: timestampOf(body),
    raw: body,
  };
}

function inboundEvent(body: ViberObject): WebhookEvent {
  const from = userIdOf(body.sender);
  if (!from) throw new Error('Viber message callback without a sender id');
  const message = isViberObject(body.message) ? body.message : {};
  return {
    kind: 'inbound',
    channel: 'viber',
    provider: VIBER_PROVIDER,
    providerMessageId: tokenOf(body),
    from,
    ...(typeof message.text === 'string' ? { text: message.text } : {}),
    at: timestampOf(body),
    raw: body,
  };
}

const userIdOf = (user: unknown): string | undefined =>
  isViberObject(user) && typeof user.id === 'string' && user.id ? user.id : undefined;

function tokenOf(body: ViberObject): string {
  const token = messageTokenDigits(body.message_token);
  if (!token) throw new Error(`Viber ${String(body.event)} callback without a message_token`);
  return token;
}

/** Viber timestamps are epoch milliseconds. */
function timestampOf(body: ViberObject): Date {
  const at = typeof body.timestamp === 'number' ? new Date(body.timestamp) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new Error(`Viber ${String(body.event)} callback without a valid timestamp`);
  return at;
}
