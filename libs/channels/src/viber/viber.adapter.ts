import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import {
  ChannelSendError,
  type ChannelError,
  type ChannelProvider,
  type SendRequest,
  type SendResult,
} from '../channel.port.js';
import { isViberObject, messageTokenDigits, parseViberJson } from './viber-json.js';
import { classifyViberStatus } from './viber-status.js';

export const VIBER_PROVIDER = 'viber';
export const VIBER_BASE_URL = 'https://chatapi.viber.com/pa';
/** Viber's limit on `sender.name`. */
const SENDER_NAME_MAX = 28;
const DEFAULT_TIMEOUT_MS = 10_000;

export interface ViberConfig {
  /** The bot's token: sent as `X-Viber-Auth-Token` and the key of webhook signatures. */
  authToken: string;
  /** Shown as the sender (1 to 28 characters). */
  senderName: string;
  /** `https://chatapi.viber.com/pa` in production; a local fake in tests. */
  baseUrl: string;
  senderAvatar?: string;
  timeoutMs?: number;
}

/** Keys as Viber's REST Bot API spells them. */
interface ViberSendMessage {
  receiver: string;
  min_api_version: number;
  sender: { name: string; avatar?: string };
  tracking_data: string;
  type: 'text' | 'picture';
  text: string;
  media?: string;
  keyboard?: ViberKeyboard;
}

interface ViberKeyboard {
  Type: 'keyboard';
  DefaultHeight: boolean;
  Buttons: { ActionType: 'open-url'; ActionBody: string; Text: string; Columns: number; Rows: number }[];
}

const temporary = (code: string, message: string, retryAfterSeconds?: number): ChannelError => ({
  kind: 'TEMPORARY',
  code,
  message,
  permanent: false,
  ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
});

/** Sends through Viber's REST Bot API (`send_message`) to a subscriber's Viber id. */
export class ViberProvider implements ChannelProvider {
  readonly name = VIBER_PROVIDER;
  readonly channel = 'viber' as const;
  private readonly url: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly config: ViberConfig,
    private readonly http: AxiosInstance = axios.create(),
  ) {
    if (!config.authToken) throw new Error('Viber authToken is required');
    if (!config.senderName || config.senderName.length > SENDER_NAME_MAX)
      throw new Error(`Viber senderName must be 1 to ${SENDER_NAME_MAX} characters`);
    this.url = `${config.baseUrl.replace(/\/+$/, '')}/send_message`;
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const body = this.messageFor(request);
    let response: AxiosResponse<string>;
    try {
      response = await this.http.post<string>(this.url, body, {
        headers: { 'X-Viber-Auth-Token': this.config.authToken, 'Content-Type': 'application/json' },
        timeout: this.timeoutMs,
        // The raw text is parsed below with lossless-json: axios's JSON.parse would round message_token.
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
      });
    } catch (error) {
      throw new ChannelSendError(networkError(error));
    }
    return answerOf(response);
  }

  private messageFor(request: SendRequest): ViberSendMessage {
    const { text, imageUrl, button } = request.content;
    if (!text && !imageUrl) {
      throw new ChannelSendError({
        kind: 'CONTENT_REJECTED',
        code: 'EMPTY_CONTENT',
        message: 'A Viber message needs text or an image',
        permanent: true,
      });
    }
    const sender = this.config.senderAvatar
      ? { name: this.config.senderName, avatar: this.config.senderAvatar }
      : { name: this.config.senderName };
    return {
      receiver: request.address,
      min_api_version: 1,
      sender,
      // Echoed by Viber with the user's reply: ties an inbound answer to the attempt that prompted it.
      tracking_data: request.attemptId,
      // A picture carries its caption in `text` (Viber requires the field, an empty string is allowed).
      ...(imageUrl
        ? { type: 'picture' as const, text: text ?? '', media: imageUrl }
        : { type: 'text' as const, text: text ?? '' }),
      // The bot API has no button inside a text bubble: a one-button custom keyboard sent with the message
      // is its call-to-action (API level 1, unlike a rich_media card which needs min_api_version 2).
      ...(button ? { keyboard: urlKeyboard(button) } : {}),
    };
  }
}

const urlKeyboard = (button: { text: string; url: string }): ViberKeyboard => ({
  Type: 'keyboard',
  DefaultHeight: false,
  Buttons: [{ ActionType: 'open-url', ActionBody: button.url, Text: button.text, Columns: 6, Rows: 1 }],
});

function answerOf(response: AxiosResponse<string>): SendResult {
  const { status: httpStatus } = response;
  if (httpStatus >= 500)
    throw new ChannelSendError(temporary(`HTTP_${httpStatus}`, `Viber answered HTTP ${httpStatus}`));
  if (httpStatus === 429) {
    const retryAfter = Number(response.headers['retry-after']);
    throw new ChannelSendError({
      kind: 'RATE_LIMITED',
      code: 'HTTP_429',
      message: 'Viber answered HTTP 429',
      permanent: false,
      ...(retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  if (httpStatus === 401 || httpStatus === 403) {
    // Same reasoning as Viber's own status 2: an operator fixes credentials; see viber-status.ts.
    throw new ChannelSendError({
      kind: 'AUTH',
      code: `HTTP_${httpStatus}`,
      message: `Viber answered HTTP ${httpStatus}`,
      permanent: false,
    });
  }
  let body: unknown;
  try {
    body = parseViberJson(typeof response.data === 'string' ? response.data : '');
  } catch {
    body = undefined;
  }
  if (!isViberObject(body) || typeof body.status !== 'number') {
    // Viber answers every request, failures included, as HTTP 200 JSON: anything else came from elsewhere.
    throw new ChannelSendError({
      kind: 'UNKNOWN',
      code: `HTTP_${httpStatus}`,
      message: `Viber answered HTTP ${httpStatus} without a status`,
      permanent: false,
    });
  }
  const statusMessage = typeof body.status_message === 'string' ? body.status_message : undefined;
  if (body.status !== 0) throw new ChannelSendError(classifyViberStatus(body.status, statusMessage));
  const providerMessageId = messageTokenDigits(body.message_token);
  if (!providerMessageId) {
    // Viber took the message: a retry would send it twice, so this attempt ends here.
    throw new ChannelSendError({
      kind: 'UNKNOWN',
      code: '0',
      message: 'Viber accepted the message without a message_token',
      permanent: true,
    });
  }
  return { providerMessageId, status: 'submitted', raw: body };
}

/**
 * No answer (timeout, refused or reset connection): temporary. Viber has no idempotency key, so a timeout
 * after Viber took the message can lead to a second copy on retry; the REST API offers no way to ask.
 */
function networkError(error: unknown): ChannelError {
  if (!axios.isAxiosError(error)) return temporary('NETWORK_ERROR', `Viber call failed: ${String(error)}`);
  const timedOut = error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT';
  return temporary(
    timedOut ? 'TIMEOUT' : (error.code ?? 'NETWORK_ERROR'),
    timedOut ? 'Viber did not answer in time' : `Viber call failed: ${error.message}`,
  );
}
