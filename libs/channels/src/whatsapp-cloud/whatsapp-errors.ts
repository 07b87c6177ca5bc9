import type { ChannelError, ChannelErrorKind } from '../channel.port.js';

/**
 * Meta's error object, both the synchronous Graph API `error` (HTTP 4xx/5xx) and the asynchronous
 * `errors[]` items of status and message webhooks. Only the fields we read are typed.
 */
export interface MetaErrorObject {
  code?: number | string;
  message?: string;
  title?: string;
  type?: string;
  error_subcode?: number;
  is_transient?: boolean;
  error_data?: { details?: string };
}

type Rule = { kind: ChannelErrorKind; permanent: boolean };

const TEMPORARY: Rule = { kind: 'TEMPORARY', permanent: false };
const RATE_LIMITED: Rule = { kind: 'RATE_LIMITED', permanent: false };
// Credentials, permissions and account state are configuration problems, not properties of the message:
// once an operator fixes them the same send succeeds. So they retry with backoff (and count towards the
// circuit breaker) instead of failing the message at once; after the dispatcher's last try the cascade moves on.
const AUTH: Rule = { kind: 'AUTH', permanent: false };
// "This recipient cannot get this message on WhatsApp": the attempt is skipped and the cascade moves on.
const NOT_REACHABLE: Rule = { kind: 'NOT_REACHABLE', permanent: true };
const INVALID_ADDRESS: Rule = { kind: 'INVALID_ADDRESS', permanent: true };
const NO_CONSENT: Rule = { kind: 'NO_CONSENT', permanent: true };
const TEMPLATE_NOT_APPROVED: Rule = { kind: 'TEMPLATE_NOT_APPROVED', permanent: true };
// The message itself is refused; sending it again cannot help.
const CONTENT_REJECTED: Rule = { kind: 'CONTENT_REJECTED', permanent: true };

/** Meta's codes (Cloud API error table, NOTES.md §2.4) in Herald's vocabulary. */
const RULES = new Map<number, Rule>([
  // Auth, permissions, account state.
  [0, AUTH],
  [3, AUTH],
  [10, AUTH],
  [104, AUTH],
  [190, AUTH],
  [131005, AUTH],
  [131031, AUTH],
  [131042, AUTH],
  [133010, AUTH],
  [368, AUTH],
  // Throughput and pair limits: retry later, honouring Retry-After when Meta sends one.
  [4, RATE_LIMITED],
  [80007, RATE_LIMITED],
  [130429, RATE_LIMITED],
  [131048, RATE_LIMITED],
  [131056, RATE_LIMITED],
  // Meta's side is failing.
  [1, TEMPORARY],
  [2, TEMPORARY],
  [131000, TEMPORARY],
  [131016, TEMPORARY],
  [131057, TEMPORARY],
  // The recipient cannot be reached on WhatsApp by this sender.
  [131026, NOT_REACHABLE],
  [131030, NOT_REACHABLE],
  [131049, NOT_REACHABLE],
  [130472, NOT_REACHABLE],
  [130497, NOT_REACHABLE],
  [131021, INVALID_ADDRESS],
  [131050, NO_CONSENT],
  // Free-form text outside the 24 h service window: only a template may be sent, so this content is
  // refused for good (permanent, so the cascade moves on). Not NOT_REACHABLE: the user is reachable.
  [131047, CONTENT_REJECTED],
  // Templates that cannot be used as they are: missing, wrong language, paused, disabled, params mismatch.
  [132000, TEMPLATE_NOT_APPROVED],
  [132001, TEMPLATE_NOT_APPROVED],
  [132015, TEMPLATE_NOT_APPROVED],
  [132016, TEMPLATE_NOT_APPROVED],
  // Bad parameters or content.
  [100, CONTENT_REJECTED],
  [131008, CONTENT_REJECTED],
  [131009, CONTENT_REJECTED],
  [131051, CONTENT_REJECTED],
  [131052, CONTENT_REJECTED],
  [131053, CONTENT_REJECTED],
  [132005, CONTENT_REJECTED],
  [132007, CONTENT_REJECTED],
  [132008, CONTENT_REJECTED],
  [132012, CONTENT_REJECTED],
]);

/** Meta's numeric code, or null when the object carries none. */
function numericCode(error: MetaErrorObject): number | null {
  const code = typeof error.code === 'string' ? Number(error.code) : error.code;
  return typeof code === 'number' && Number.isInteger(code) ? code : null;
}

function ruleFor(code: number | null, error: MetaErrorObject, httpStatus?: number): Rule {
  // Permission codes 200–299 share one meaning.
  if (code !== null && code >= 200 && code <= 299) return AUTH;
  const known = code === null ? undefined : RULES.get(code);
  if (known) return known;
  if (httpStatus === 429) return RATE_LIMITED;
  if (httpStatus !== undefined && httpStatus >= 500) return TEMPORARY;
  if (error.is_transient === true) return TEMPORARY;
  if (httpStatus === 401 || httpStatus === 403) return AUTH;
  // An unknown 4xx, or an unknown asynchronous failure: the message failed and Meta did not say it may retry.
  return { kind: 'UNKNOWN', permanent: true };
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function parseWhatsAppRetryAfter(value: string | undefined, now: Date = new Date()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * Classifies one Meta error object. `httpStatus` is given for synchronous answers only; asynchronous
 * errors (a `failed` status) are classified by code alone.
 */
export function classifyMetaError(
  error: MetaErrorObject,
  options: { httpStatus?: number; retryAfter?: string } = {},
): ChannelError {
  const code = numericCode(error);
  const rule = ruleFor(code, error, options.httpStatus);
  const fallbackCode = options.httpStatus === undefined ? 'UNKNOWN' : `HTTP_${options.httpStatus}`;
  const classified: ChannelError = {
    kind: rule.kind,
    code: code === null ? fallbackCode : String(code),
    message: error.message || error.title || `WhatsApp error ${code ?? fallbackCode}`,
    permanent: rule.permanent,
  };
  const retryAfterSeconds = parseWhatsAppRetryAfter(options.retryAfter);
  if (rule.kind === 'RATE_LIMITED' && retryAfterSeconds !== undefined) classified.retryAfterSeconds = retryAfterSeconds;
  return classified;
}

/** Classifies a non-2xx Graph API answer; the body may be Meta's `{error: {...}}` or anything a proxy sent. */
export function classifyWhatsAppResponse(httpStatus: number, body: unknown, retryAfter?: string): ChannelError {
  const error =
    typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'object' && body.error
      ? (body.error as MetaErrorObject)
      : { message: `WhatsApp answered HTTP ${httpStatus}` };
  return classifyMetaError(error, { httpStatus, retryAfter });
}

/**
 * A call that got no answer (timeout, refused or reset connection). Always TEMPORARY: Meta offers no
 * lookup by our reference, so a reset after Meta accepted may lead to a duplicate on retry; that is the
 * accepted trade-off against losing the message.
 */
export function classifyWhatsAppTransportError(code: string | undefined): ChannelError {
  const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
  return {
    kind: 'TEMPORARY',
    code: timedOut ? 'TIMEOUT' : (code ?? 'NETWORK_ERROR'),
    message: timedOut ? 'WhatsApp did not answer in time' : 'WhatsApp could not be reached',
    permanent: false,
  };
}
