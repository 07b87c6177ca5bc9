import axios, { type AxiosInstance } from 'axios';
import { ChannelSendError, type ChannelProvider, type SendRequest, type SendResult } from '../channel.port.js';
import { graphFailure, graphRequest } from './graph-request.js';
import { buildWhatsAppMessage } from './whatsapp-message.js';

export const WHATSAPP_CLOUD_PROVIDER = 'whatsapp-cloud';

export { WHATSAPP_DEFAULT_TIMEOUT_MS } from './graph-request.js';

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
    const response = await graphRequest(this.http, this.config, 'post', this.url, body);
    if (response.status < 200 || response.status >= 300) throw new ChannelSendError(graphFailure(response));
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
