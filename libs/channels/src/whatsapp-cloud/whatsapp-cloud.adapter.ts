import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { ChannelSendError, type ChannelProvider, type SendRequest, type SendResult } from '../channel.port.js';
import { classifyWhatsAppTransportError, classifyWhatsAppResponse } from './whatsapp-errors.js';
import { buildWhatsAppMessage } from './whatsapp-message.js';

export const WHATSAPP_CLOUD_PROVIDER = 'whatsapp-cloud';

/** Below the channel registry's 15 s breaker timeout, so our own classification wins. */
export const WHATSAPP_DEFAULT_TIMEOUT_MS = 10_000;

export interface WhatsAppCloudConfig {
  accessToken: string;
  phoneNumberId: string;
  /** Graph API base, e.g. `https://graph.facebook.com` (a local fake in tests). */
  graphUrl: string;
  /** e.g. `v23.0`. */
  apiVersion: string;
  timeoutMs?: number;
}

/** `POST /{version}/{phone-number-id}/messages` answer; only what we read is typed. */
interface SendMessageAnswer {
  messages?: { id?: unknown; message_status?: string }[];
}

function wamid(body: unknown): string | null {
  const id = (body as SendMessageAnswer | null)?.messages?.[0]?.id;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

/**
 * WhatsApp Business Cloud API (Meta Graph API). Sends free-form text inside the service window and
 * templates outside it. Meta has no lookup by a client reference, so there is no `lookup()`.
 */
export class WhatsAppCloudProvider implements ChannelProvider {
  readonly name = WHATSAPP_CLOUD_PROVIDER;
  readonly channel = 'whatsapp' as const;
  private readonly url: string;

  constructor(
    private readonly config: WhatsAppCloudConfig,
    private readonly http: AxiosInstance = axios.create(),
  ) {
    const base = config.graphUrl.replace(/\/+$/, '');
    this.url = `${base}/${encodeURIComponent(config.apiVersion)}/${encodeURIComponent(config.phoneNumberId)}/messages`;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const body = buildWhatsAppMessage(request.address, request.content);
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.post<unknown>(this.url, body, {
        headers: { Authorization: `Bearer ${this.config.accessToken}`, 'Content-Type': 'application/json' },
        timeout: this.config.timeoutMs ?? WHATSAPP_DEFAULT_TIMEOUT_MS,
        maxRedirects: 0,
        // Every HTTP answer is classified here; only transport failures reach the catch.
        validateStatus: () => true,
      });
    } catch (error) {
      // Axios errors carry the request config (and so the token): classify them, never rethrow or log them.
      if (axios.isAxiosError(error)) throw new ChannelSendError(classifyWhatsAppTransportError(error.code));
      throw error;
    }
    if (response.status < 200 || response.status >= 300) {
      const retryAfter = response.headers['retry-after'];
      throw new ChannelSendError(
        classifyWhatsAppResponse(
          response.status,
          response.data,
          typeof retryAfter === 'string' ? retryAfter : undefined,
        ),
      );
    }
    const providerMessageId = wamid(response.data);
    if (!providerMessageId) {
      // Meta took the call but named no message: retrying might send twice, so give up on this channel.
      throw new ChannelSendError({
        kind: 'UNKNOWN',
        code: 'INVALID_RESPONSE',
        message: 'WhatsApp accepted the request without a message id',
        permanent: true,
      });
    }
    return { providerMessageId, status: 'submitted', raw: response.data };
  }
}
