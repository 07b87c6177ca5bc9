import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { ChannelSendError, type ChannelError } from '../channel.port.js';
import { classifyWhatsAppResponse, classifyWhatsAppTransportError } from './whatsapp-errors.js';

/** Below the channel registry's 15 s breaker timeout, so our own classification wins. */
export const WHATSAPP_DEFAULT_TIMEOUT_MS = 10_000;

/**
 * One Graph API call with the access token, as the message and template APIs both make it: redirects are not
 * followed and every HTTP answer comes back for the caller to read; a transport failure is thrown classified.
 */
export async function graphRequest(
  http: AxiosInstance,
  config: { accessToken: string; timeoutMs?: number },
  method: 'get' | 'post' | 'delete',
  url: string,
  body?: unknown,
): Promise<AxiosResponse<unknown>> {
  try {
    return await http.request<unknown>({
      method,
      url,
      ...(body === undefined ? {} : { data: body }),
      headers: {
        Authorization: `Bearer ${config.accessToken}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      timeout: config.timeoutMs ?? WHATSAPP_DEFAULT_TIMEOUT_MS,
      maxRedirects: 0,
      // Every HTTP answer is classified by the caller; only transport failures reach the catch.
      validateStatus: () => true,
    });
  } catch (error) {
    // Axios errors carry the request config (and so the token): classify them, never rethrow or log them.
    if (axios.isAxiosError(error)) throw new ChannelSendError(classifyWhatsAppTransportError(error.code));
    throw error;
  }
}

/** A non-2xx Graph answer as Herald's error (Meta's code, whether to retry, Retry-After). */
export function graphFailure(response: AxiosResponse<unknown>): ChannelError {
  const retryAfter = response.headers['retry-after'];
  return classifyWhatsAppResponse(
    response.status,
    response.data,
    typeof retryAfter === 'string' ? retryAfter : undefined,
  );
}
