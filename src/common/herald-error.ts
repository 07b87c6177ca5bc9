/**
 * Domain errors carry a code from API §2; one filter maps codes to HTTP. Code the worker also runs
 * throws these, never Nest's HTTP exceptions.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_IN_FLIGHT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  MISSING_VARIABLE: 422,
  TEMPLATE_NOT_APPROVED: 422,
  TEMPLATE_PARAMETERS_MISMATCH: 422,
  TEMPLATE_NOT_FOUND: 422,
  TEMPLATE_REFUSED: 422,
  NO_CONSENT: 422,
  NO_REACHABLE_CHANNEL: 422,
  RULE_VIOLATION: 422,
  RATE_LIMITED: 429,
  NOT_READY: 503,
  PROVIDER_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  field: string;
  issue: string;
}

export class HeraldError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** More fields for the error body, e.g. the provider's own error (`provider: {code, message}`). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HeraldError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static validation(details: ErrorDetail[], message = 'The request is not valid'): HeraldError {
    return new HeraldError('VALIDATION_FAILED', message, details);
  }

  static notFound(what: string): HeraldError {
    return new HeraldError('NOT_FOUND', `${what} not found`);
  }
}
