import type { ChannelError } from '../channel.port.js';

/** Google's standard JSON error body: `{"error": {"code": 404, "message": "…", "status": "NOT_FOUND"}}`. */
export interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string };
}

const googleError = (body: unknown): GoogleErrorBody['error'] =>
  typeof body === 'object' && body !== null ? ((body as GoogleErrorBody).error ?? undefined) : undefined;

const parseRetryAfter = (value: unknown): number | undefined => {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
};

/** Classifies an RBM HTTP error answer into Herald's error vocabulary. */
export function classifyRbmResponse(httpStatus: number, body: unknown, retryAfter?: unknown): ChannelError {
  const error = googleError(body);
  const status = error?.status ?? '';
  const code = status || String(httpStatus);
  const message = error?.message ?? `RBM answered HTTP ${httpStatus}`;

  if (httpStatus === 429 || status === 'RESOURCE_EXHAUSTED') {
    const retryAfterSeconds = parseRetryAfter(retryAfter);
    return {
      kind: 'RATE_LIMITED',
      code,
      message,
      permanent: false,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
  }
  // Not RCS-enabled, or on a carrier where the agent is not launched: try the next channel.
  if (httpStatus === 404) return { kind: 'NOT_REACHABLE', code, message, permanent: true };
  // INVALID_ARGUMENT is what RBM answers for content the device cannot show; resending it will not help.
  if (httpStatus === 400) return { kind: 'CONTENT_REJECTED', code, message, permanent: true };
  // A bad or expired token, a revoked key or an agent not launched for us is our configuration, not the
  // recipient's: the token source mints a fresh token on the next call and an operator can fix the key,
  // so the attempt is retried rather than failed for good.
  if (httpStatus === 401 || httpStatus === 403) return { kind: 'AUTH', code, message, permanent: false };
  if (httpStatus >= 500 || httpStatus === 408) return { kind: 'TEMPORARY', code, message, permanent: false };
  return { kind: 'UNKNOWN', code, message, permanent: true };
}

/** Classifies a failure with no HTTP answer (timeout, refused connection, reset socket): worth a retry. */
export function classifyRbmTransportError(reason: unknown): ChannelError {
  const code =
    typeof reason === 'object' && reason !== null && typeof (reason as { code?: unknown }).code === 'string'
      ? (reason as { code: string }).code
      : 'NETWORK_ERROR';
  const message = reason instanceof Error ? reason.message : String(reason);
  return { kind: 'TEMPORARY', code, message: `RBM request failed: ${message}`, permanent: false };
}
