import { randomUUID } from 'node:crypto';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import {
  ChannelSendError,
  type ChannelContent,
  type ChannelProvider,
  type SendRequest,
  type SendResult,
} from '../channel.port.js';
import { classifyRbmResponse, classifyRbmTransportError } from './rbm-errors.js';
import { rbmMessageId } from './rbm-message-id.js';

export const RBM_PROVIDER = 'google-rbm';
export const RBM_DEFAULT_BASE_URL = 'https://rcsbusinessmessaging.googleapis.com';

/** Mints (or returns a cached) OAuth2 access token for the RBM API. */
export type RbmTokenSource = () => Promise<string>;

export interface RbmConfig {
  agentId: string;
  /** `https://rcsbusinessmessaging.googleapis.com`, a regional host, or a local fake in tests. */
  baseUrl: string;
}

export interface RbmOptions {
  /** Per HTTP call (capability check and send each), default 10 s. */
  timeoutMs?: number;
  /** The clock used to turn `validUntil` into a TTL. */
  now?: () => number;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const DEFAULT_TIMEOUT_MS = 10_000;

const refuse = (code: string, message: string, kind: 'INVALID_ADDRESS' | 'CONTENT_REJECTED') =>
  new ChannelSendError({ kind, code, message, permanent: true });

/** Google RCS Business Messaging: checks that the phone can receive RCS, then sends an agent message. */
export class RbmProvider implements ChannelProvider {
  readonly name = RBM_PROVIDER;
  readonly channel = 'rcs' as const;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly config: RbmConfig,
    private readonly token: RbmTokenSource,
    private readonly http: AxiosInstance = axios.create(),
    options: RbmOptions = {},
  ) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const phone = request.address;
    if (!E164.test(phone)) throw refuse('INVALID_PHONE', `Not an E.164 phone number: ${phone}`, 'INVALID_ADDRESS');
    const body = this.agentMessage(request.content, request.validUntil);
    const authorization = await this.authorization();

    // A 404 here means "not RCS-capable": NOT_REACHABLE, and the cascade moves on without sending.
    const capabilities = await this.call('GET', phone, 'capabilities', { requestId: randomUUID() }, authorization);

    const messageId = rbmMessageId(request.attemptId);
    const answer = await this.call('POST', phone, 'agentMessages', { messageId }, authorization, body, [409]);
    // 409 ALREADY_EXISTS: an earlier try of this attempt got through; RBM keeps that one and so do we.
    return {
      providerMessageId: messageId,
      status: 'submitted',
      raw: { capabilities: capabilities.data, message: answer.data, httpStatus: answer.status },
    };
  }

  private agentMessage(content: ChannelContent, validUntil: Date | undefined): Record<string, unknown> {
    if (!content.text) throw refuse('EMPTY_CONTENT', 'An RCS message needs text', 'CONTENT_REJECTED');
    const contentMessage: Record<string, unknown> = { text: content.text };
    if (content.suggestions?.length) contentMessage.suggestions = content.suggestions;
    const body: Record<string, unknown> = { contentMessage };
    if (validUntil) {
      // RBM queues a message for an offline phone up to 30 days; the TTL makes it revoke it when Herald's
      // validity ends instead, and its TTL_EXPIRATION_REVOKED event lets the cascade move on.
      const seconds = Math.max(1, Math.ceil((validUntil.getTime() - this.now()) / 1000));
      body.ttl = `${seconds}s`;
    }
    return body;
  }

  private async authorization(): Promise<string> {
    try {
      return `Bearer ${await this.token()}`;
    } catch (reason) {
      const message = reason instanceof Error ? reason.message : String(reason);
      // Minting a token fails when Google's token endpoint is down or the key is revoked: ours to fix, retry.
      throw new ChannelSendError({
        kind: 'AUTH',
        code: 'TOKEN_UNAVAILABLE',
        message: `No RBM access token: ${message}`,
        permanent: false,
      });
    }
  }

  private async call(
    method: 'GET' | 'POST',
    phone: string,
    resource: 'capabilities' | 'agentMessages',
    query: Record<string, string>,
    authorization: string,
    data?: unknown,
    acceptedStatuses: number[] = [],
  ): Promise<AxiosResponse> {
    const params = new URLSearchParams({ ...query, agentId: this.config.agentId });
    let response: AxiosResponse;
    try {
      response = await this.http.request({
        method,
        url: `${this.baseUrl}/v1/phones/${phone}/${resource}?${params.toString()}`,
        headers: { Authorization: authorization, 'Content-Type': 'application/json' },
        data,
        timeout: this.timeoutMs,
        validateStatus: () => true,
      });
    } catch (reason) {
      throw new ChannelSendError(classifyRbmTransportError(reason));
    }
    if ((response.status >= 200 && response.status < 300) || acceptedStatuses.includes(response.status))
      return response;
    throw new ChannelSendError(
      classifyRbmResponse(response.status, response.data, response.headers?.['retry-after'] as unknown),
    );
  }
}
