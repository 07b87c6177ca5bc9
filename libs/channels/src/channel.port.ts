import type { AttemptStatus, Channel } from '#libs/core/src/index.js';

/**
 * The small error vocabulary the dispatcher understands. Adapters classify vendor errors into these at
 * their edge, so the dispatcher never reads a vendor's code to decide between retry, skip and give up.
 */
export type ChannelErrorKind =
  | 'TEMPORARY'
  | 'RATE_LIMITED'
  | 'AUTH'
  | 'NOT_REACHABLE'
  | 'INVALID_ADDRESS'
  | 'CONTENT_REJECTED'
  | 'TEMPLATE_NOT_APPROVED'
  | 'NO_CONSENT'
  | 'UNKNOWN';

export interface ChannelError {
  kind: ChannelErrorKind;
  /** The vendor's own code, kept for the user (e.g. Meta's "131026"). */
  code: string;
  message: string;
  permanent: boolean;
  /** Seconds the vendor asked us to wait, when it said so. */
  retryAfterSeconds?: number;
}

/** A provider error thrown or returned by an adapter. */
export class ChannelSendError extends Error {
  constructor(readonly error: ChannelError) {
    super(error.message);
    this.name = 'ChannelSendError';
  }
}

/** Rendered content for one channel; each adapter takes the fields it understands. */
export interface ChannelContent {
  text?: string;
  subject?: string;
  html?: string;
  imageUrl?: string;
  button?: { text: string; url: string };
  suggestions?: unknown[];
  /** A WhatsApp template; `id` is Herald's stored template (its status and category are read at dispatch). */
  template?: { id?: string; name: string; language?: string; parameters?: Record<string, unknown> };
}

export interface SendRequest {
  /** Herald's attempt id: the idempotency reference given to providers that accept one. */
  attemptId: string;
  workspaceId: string;
  channel: Channel;
  /** E.164 phone, email address or Viber id, depending on the channel. */
  address: string;
  content: ChannelContent;
  /** Absolute time after which the provider should not deliver. */
  validUntil?: Date;
}

export interface SendResult {
  providerMessageId: string;
  /** Status known right after the call (usually `submitted`; some providers answer `sent`). */
  status: Extract<AttemptStatus, 'submitted' | 'sent'>;
  segments?: number;
  raw?: unknown;
}

/** A delivery report in Herald's words, produced by an adapter from a vendor webhook (or by the sandbox). */
export interface StatusReport {
  provider: string;
  providerMessageId: string;
  status: Extract<AttemptStatus, 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered' | 'expired'>;
  at: Date;
  error?: ChannelError;
  segments?: number;
  cost?: { amount: string; currency: string };
  /** How the provider says it bills this message (Meta's `pricing`): wins over Herald's estimate. */
  pricing?: { category?: string; billable?: boolean; type?: string };
  raw?: unknown;
}

/** One port per channel kind: sends, and (for real vendors) verifies and parses webhooks. */
export interface ChannelProvider {
  /** Provider name stored on attempts, e.g. `sandbox`, `twilio`, `whatsapp-cloud`. */
  readonly name: string;
  readonly channel: Channel;
  /** Throws ChannelSendError for classified failures. */
  send(request: SendRequest): Promise<SendResult>;
  /**
   * Finds an earlier submission by Herald's attempt id, for providers that can tell. Used after a crash
   * between "about to call the provider" and "recorded the answer", so the attempt is never sent twice.
   */
  lookup?(attemptId: string): Promise<SendResult | null>;
  /** Releases pooled connections at shutdown, for providers that keep them (SMTP). */
  close?(): void;
}

/** A provider webhook as it arrived: the raw bytes (signatures are computed over them) and where it was sent. */
export interface WebhookRequest {
  rawBody: Buffer;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** The full public URL the provider called, query string included (PUBLIC_URL + path + query). */
  url: string;
}

/** What a verified webhook means, in Herald's words. One webhook may carry several events. */
export type WebhookEvent =
  | { kind: 'status'; report: StatusReport }
  | {
      kind: 'inbound';
      channel: Channel;
      provider: string;
      providerMessageId: string;
      /** The customer's address (E.164, Viber id, email). */
      from: string;
      to?: string;
      text?: string;
      at: Date;
      raw?: unknown;
    }
  | { kind: 'consent'; channel: Channel; provider: string; address: string; granted: boolean; at: Date; raw?: unknown }
  | {
      /** A WhatsApp template's review or quality status changed (Meta's `message_template_status_update`). */
      kind: 'template-status';
      provider: string;
      /** The WhatsApp Business Account the template belongs to (`entry.id`). */
      accountId: string;
      providerTemplateId: string;
      name: string;
      language: string;
      /** Meta's event as it came: APPROVED, REJECTED, PAUSED, UNARCHIVED… */
      event: string;
      /** Meta's reason (`NONE` kept as it came), null when absent. */
      reason: string | null;
      category?: string;
      detail?: {
        rejectionInfo?: { reason?: string; recommendation?: string };
        otherInfo?: { title?: string; description?: string };
        disableDate?: string;
      };
      at: Date;
      raw?: unknown;
    }
  | {
      /** Meta moved a WhatsApp template to another category (`template_category_update`). */
      kind: 'template-category';
      provider: string;
      accountId: string;
      providerTemplateId: string;
      name: string;
      language: string;
      newCategory: string;
      previousCategory?: string;
      correctCategory?: string;
      at: Date;
      raw?: unknown;
    };

/** The webhook side of a provider: check authenticity on the raw body first, then parse. */
export interface WebhookHandler {
  /** True only for a request the provider really sent (constant-time comparison). */
  verify(request: WebhookRequest): boolean;
  /** Parses a verified request; throws on a body that is not the provider's format. */
  parse(request: WebhookRequest): WebhookEvent[];
}
