import { createHash, timingSafeEqual } from 'node:crypto';
import twilio from 'twilio';
import type { StatusReport, WebhookEvent, WebhookHandler, WebhookRequest } from '../channel.port.js';
import { TWILIO_PROVIDER } from './twilio.adapter.js';
import { classifyTwilioErrorCode, mapTwilioStatus } from './twilio-errors.js';

export interface TwilioWebhookConfig {
  authToken: string;
  /**
   * The secret of a Twilio SharedKey, for webhooks that carry `X-Twilio-Webhooks-Signature-Settings`
   * (HMAC_SHA1 or HMAC_SHA256). Without it such webhooks are refused.
   */
  sharedKeySecret?: string;
  now?: () => Date;
}

export type TwilioParams = Record<string, string | string[]>;

// Twilio's default opt-out and opt-in keywords; Advanced Opt-Out's custom keywords arrive as OptOutType.
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);
const ALGORITHMS = new Set([twilio.HMAC_SHA1, twilio.HMAC_SHA256]);

/** Form fields as Twilio signs them: a repeated key becomes an array of its values. */
export function parseTwilioForm(rawBody: Buffer): TwilioParams {
  const params: TwilioParams = {};
  for (const [key, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const earlier = params[key];
    params[key] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return params;
}

/** The `bodySHA256` query parameter of a JSON-body webhook, or null for a form-encoded one. */
function bodyHashParam(url: string): string | null {
  return new URL(url).searchParams.get('bodySHA256');
}

function sameHex(expected: string, actual: string): boolean {
  const a = Buffer.from(expected.toLowerCase());
  const b = Buffer.from(actual.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Twilio's status callbacks and inbound SMS (API §6: `POST /webhooks/twilio`). The signature check is the SDK's
 * `validateRequest`, which tries the URL as received and with the default port added or removed (Twilio signs
 * whichever form it called), compares in constant time, and handles array parameters the way Twilio does.
 */
export class TwilioWebhookHandler implements WebhookHandler {
  private readonly now: () => Date;

  constructor(private readonly config: TwilioWebhookConfig) {
    this.now = config.now ?? (() => new Date());
  }

  verify(request: WebhookRequest): boolean {
    const signature = request.headers['x-twilio-signature'];
    if (!signature) return false;
    const settings = request.headers[twilio.SIGNATURE_SETTINGS_HEADER.toLowerCase()];
    const secret = settings ? this.config.sharedKeySecret : this.config.authToken;
    const algorithm = twilio.getSignatureAlgorithm(settings);
    if (!secret || !ALGORITHMS.has(algorithm.toUpperCase())) return false;
    try {
      const bodyHash = bodyHashParam(request.url);
      if (bodyHash === null)
        return twilio.validateRequest(secret, signature, request.url, parseTwilioForm(request.rawBody), algorithm);
      // JSON body: the signature covers the URL only, and the URL carries the hash of the raw bytes.
      const actual = createHash('sha256').update(request.rawBody).digest('hex');
      return twilio.validateRequest(secret, signature, request.url, {}, algorithm) && sameHex(bodyHash, actual);
    } catch {
      return false; // an unparsable URL cannot be the one Twilio signed
    }
  }

  parse(request: WebhookRequest): WebhookEvent[] {
    const params = this.params(request);
    const get = (key: string): string | undefined => {
      const value = params[key];
      return Array.isArray(value) ? value[0] : value;
    };
    const sid = get('MessageSid') ?? get('SmsMessageSid') ?? get('SmsSid');
    if (!sid) throw new Error('Not a Twilio messaging webhook: no MessageSid');
    const messageStatus = get('MessageStatus');
    const smsStatus = get('SmsStatus');
    const at = this.now();
    const body = get('Body');
    const from = get('From');

    const inbound =
      messageStatus === 'received' ||
      (messageStatus === undefined && (smsStatus === 'received' || (body !== undefined && from !== undefined)));
    if (inbound) {
      if (!from) throw new Error('Twilio inbound message without From');
      const events: WebhookEvent[] = [
        {
          kind: 'inbound',
          channel: 'sms',
          provider: TWILIO_PROVIDER,
          providerMessageId: sid,
          from,
          to: get('To'),
          text: body,
          at,
          raw: params,
        },
      ];
      const granted = consentFrom(body, get('OptOutType'));
      if (granted !== null)
        events.push({
          kind: 'consent',
          channel: 'sms',
          provider: TWILIO_PROVIDER,
          address: from,
          granted,
          at,
          raw: params,
        });
      return events;
    }

    const twilioStatus = messageStatus ?? smsStatus;
    if (!twilioStatus) throw new Error('Twilio webhook with neither MessageStatus nor an inbound Body');
    const status = mapTwilioStatus(twilioStatus);
    // queued/sending/…: nothing Herald does not know already. RawDlrDoneDate has no time zone, so `at` is ours.
    if (status === null) return [];
    const report: StatusReport = { provider: TWILIO_PROVIDER, providerMessageId: sid, status, at, raw: params };
    if (status === 'failed' || status === 'undelivered') {
      const errorCode = get('ErrorCode');
      const errorMessage = get('ErrorMessage');
      report.error = errorCode
        ? classifyTwilioErrorCode(errorCode, errorMessage)
        : {
            kind: 'UNKNOWN',
            code: twilioStatus,
            message: errorMessage || `Twilio reported the message ${twilioStatus}`,
            permanent: true,
          };
    }
    const segments = Number(get('NumSegments'));
    if (Number.isInteger(segments) && segments > 0) report.segments = segments;
    return [{ kind: 'status', report }];
  }

  private params(request: WebhookRequest): TwilioParams {
    if (bodyHashParam(request.url) === null) return parseTwilioForm(request.rawBody);
    const json: unknown = JSON.parse(request.rawBody.toString('utf8'));
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error('Twilio JSON webhook body is not an object');
    const params: TwilioParams = {};
    for (const [key, value] of Object.entries(json))
      if (typeof value === 'string' || typeof value === 'number') params[key] = String(value);
    return params;
  }
}

/** STOP-like → false, START-like → true, anything else (HELP included) → null. The whole message is the keyword. */
function consentFrom(body: string | undefined, optOutType: string | undefined): boolean | null {
  const type = optOutType?.trim().toUpperCase();
  if (type === 'STOP') return false;
  if (type === 'START') return true;
  const keyword = body?.trim().toUpperCase();
  if (keyword === undefined) return null;
  if (OPT_OUT.has(keyword)) return false;
  if (OPT_IN.has(keyword)) return true;
  return null;
}
