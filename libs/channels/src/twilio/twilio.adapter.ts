import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type * as HttpResponse from 'twilio/lib/http/response.js';
import type { MessageInstance, MessageListInstanceCreateOptions } from 'twilio/lib/rest/api/v2010/account/message.js';
import { smsSegments } from '../../../core/src/sms-segments.js';
import { ChannelSendError, type ChannelProvider, type SendRequest, type SendResult } from '../channel.port.js';
import { classifyTwilioError, parseRetryAfter } from './twilio-errors.js';

export const TWILIO_PROVIDER = 'twilio';

// The SDK's CommonJS `export default`, seen from ESM.
type Response<T> = HttpResponse.default<T>;

export interface TwilioSmsConfig {
  accountSid: string;
  authToken: string;
  /** One of `from` and `messagingServiceSid`; with both, the Messaging Service is used (sender pool, opt-out handling). */
  from?: string;
  messagingServiceSid?: string;
  /** Twilio's REST base (`https://api.twilio.com`) or a local fake; a path prefix is kept. */
  baseUrl: string;
  /** Where Twilio posts delivery reports (PUBLIC_URL + `/webhooks/twilio`). */
  statusCallbackUrl: string;
  /** Per-request timeout; the socket timeout too. */
  timeoutMs?: number;
  now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_VALIDITY_SECONDS = 36_000;
const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * A non-2xx answer from Twilio, with the Retry-After header that the SDK's RestException drops. RFC 9457 bodies
 * (`title`, `detail`) are read too, since the SDK's own exception for them is bypassed here.
 */
export class TwilioHttpError extends twilio.RestException {
  readonly retryAfterSeconds?: number;
  readonly detail?: string;
  readonly title?: string;

  constructor(response: Response<unknown>) {
    super(response);
    this.name = 'TwilioHttpError';
    const retryAfter = response.headers?.['retry-after'];
    this.retryAfterSeconds = parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined);
    const body = parseBody(response.body);
    if (typeof body?.detail === 'string') this.detail = body.detail;
    if (typeof body?.title === 'string') this.title = body.title;
    if (this.code === undefined && typeof body?.code === 'number') this.code = body.code;
  }
}

function parseBody(body: unknown): Record<string, unknown> | null {
  if (typeof body === 'string') {
    try {
      return parseBody(JSON.parse(body));
    } catch {
      return null;
    }
  }
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null;
}

/**
 * Sends every request to `baseUrl` (NOTES §1.7: rewriting the URI works for every domain and ignores
 * TWILIO_EDGE/TWILIO_REGION) and turns error answers into TwilioHttpError while their headers are still at hand.
 * One per provider instance: the SDK keeps `lastRequest`/`lastResponse` on it, nothing else is shared.
 */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(
    private readonly base: URL,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs, keepAlive: true });
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const response = await super.request({ ...opts, uri: rebase(opts.uri, this.base) });
    if (response.statusCode >= 400) throw new TwilioHttpError(response);
    return response;
  }
}

function rebase(uri: string, base: URL): string {
  const target = new URL(uri);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${target.pathname}${target.search}`;
}

/** Whole seconds from now to `validUntil`, in Twilio's 1–36000 range. */
export function validityPeriodSeconds(validUntil: Date, now: Date): number {
  const seconds = Math.ceil((validUntil.getTime() - now.getTime()) / 1000);
  return Math.min(MAX_VALIDITY_SECONDS, Math.max(1, seconds));
}

/** SMS through Twilio Programmable Messaging, with the official SDK. */
export class TwilioSmsProvider implements ChannelProvider {
  readonly name = TWILIO_PROVIDER;
  readonly channel = 'sms' as const;
  private readonly client: twilio.Twilio;
  private readonly now: () => Date;

  constructor(private readonly config: TwilioSmsConfig) {
    if (!config.from && !config.messagingServiceSid)
      throw new Error('Twilio needs a sender: TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID');
    this.now = config.now ?? (() => new Date());
    const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.client = twilio(config.accountSid, config.authToken, {
      httpClient: new BaseUrlRequestClient(new URL(config.baseUrl), timeoutMs),
      // The dispatcher owns retries and backoff; the SDK must not retry 429s on its own.
      autoRetry: false,
      // Keep the SDK from logging requests when TWILIO_LOG_LEVEL=debug happens to be set.
      logLevel: 'info',
      env: {},
    });
  }

  async send(request: SendRequest): Promise<SendResult> {
    const text = request.content.text ?? '';
    if (!E164.test(request.address))
      throw new ChannelSendError({
        kind: 'INVALID_ADDRESS',
        code: 'INVALID_E164',
        message: 'SMS needs an E.164 phone number',
        permanent: true,
      });
    if (text === '')
      throw new ChannelSendError({
        kind: 'CONTENT_REJECTED',
        code: 'EMPTY_BODY',
        message: 'SMS content has no text',
        permanent: true,
      });

    const params: MessageListInstanceCreateOptions = {
      to: request.address,
      body: text,
      statusCallback: this.config.statusCallbackUrl,
    };
    if (this.config.messagingServiceSid) params.messagingServiceSid = this.config.messagingServiceSid;
    else params.from = this.config.from;
    if (request.validUntil) params.validityPeriod = validityPeriodSeconds(request.validUntil, this.now());

    let message: MessageInstance;
    try {
      message = await this.client.messages.create(params);
    } catch (error) {
      throw new ChannelSendError(classifyTwilioError(error));
    }
    // With a Messaging Service Twilio answers `accepted` with num_segments "0": count locally then.
    const reported = Number(message.numSegments);
    return {
      providerMessageId: message.sid,
      status: message.status === 'sent' ? 'sent' : 'submitted',
      segments: Number.isInteger(reported) && reported > 0 ? reported : smsSegments(text).segments,
      raw: message.toJSON(),
    };
  }
}
