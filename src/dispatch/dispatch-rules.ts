import { addressFor, planNext, type CascadeEvent, type PlannerInput } from '#libs/cascade/src/index.js';
import type { ChannelError, SendResult, StatusReport } from '#libs/channels/src/index.js';
import {
  canMoveAttempt,
  canMoveMessage,
  isAttemptFailure,
  isFinalMessageStatus,
  reaches,
  type AttemptStatus,
  type Channel,
  type MessageStatus,
} from '#libs/core/src/index.js';
import { newId } from '../common/ids.js';
import type { PriceAttempt } from '../pricing/rate-card.service.js';
import { Changes } from './changes.js';
import type { DispatchAttempt, DispatchMessage } from './dispatch.types.js';

/**
 * The dispatcher's decisions, as functions of a locked message held in memory. They never touch the
 * database: they record what must change in a `Changes` set (written in bulk by the caller, in the same
 * transaction) and update the in-memory message so a later step in the same batch sees the new state.
 */
export const MAX_TRIES = 5;

/** The error code the channel registry gives a send refused by an open circuit breaker. */
export const BREAKER_OPEN = 'EOPENBREAKER';

/** Errors that mean "this channel cannot take it" rather than "it failed": the attempt is skipped. */
const SKIP_KINDS = new Set<ChannelError['kind']>(['NOT_REACHABLE', 'NO_CONSENT', 'TEMPLATE_NOT_APPROVED']);

export interface RuleContext {
  now: Date;
  available: ReadonlySet<Channel>;
  providerName(channel: Channel): string;
  retryBaseMs: number;
  /** Prices an attempt from its workspace's rate card (null: nothing to record). */
  price?: PriceAttempt;
}

export interface Submission {
  messageId: string;
  workspaceId: string;
  attemptId: string;
  channel: Channel;
  address: string;
  tries: number;
  /** The previous worker died during the provider call: ask the provider before sending again. */
  recovering: boolean;
}

export type SendOutcome = { result: SendResult } | { error: ChannelError };

const submission = (
  message: DispatchMessage,
  attempt: DispatchAttempt,
  address: string,
  recovering: boolean,
): Submission => ({
  messageId: message.id,
  workspaceId: message.workspaceId,
  attemptId: attempt.id,
  channel: attempt.channel,
  address,
  tries: attempt.tries,
  recovering,
});

const FINAL: readonly MessageStatus[] = ['failed', 'expired', 'rejected', 'canceled'];

/** When an in-flight attempt needs looking at again: its fallback deadline if a later channel exists, else validity's end. */
export function nextTimer(
  message: DispatchMessage,
  attempt: { channel: Channel; submittedAt: Date | null },
): Date | null {
  const hasNext = message.channels.indexOf(attempt.channel) < message.channels.length - 1;
  const deadline =
    hasNext && attempt.submittedAt ? new Date(attempt.submittedAt.getTime() + message.fallbackAfterMs) : null;
  const candidates = [deadline, message.validUntil].filter((d): d is Date => d !== null);
  return candidates.length ? new Date(Math.min(...candidates.map((d) => d.getTime()))) : null;
}

export function backoffMs(tries: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** (tries - 1), 300_000) * (0.8 + Math.random() * 0.4);
}

function endQueued(
  message: DispatchMessage,
  changes: Changes,
  status: AttemptStatus,
  error: ChannelError,
  now: Date,
): void {
  for (const attempt of message.attempts) {
    if (attempt.status === 'queued' && !attempt.inFlightSince) {
      attempt.status = status;
      changes.patchAttempt(message, attempt.id, { status, error, failedAt: now });
    }
  }
}

/**
 * A WhatsApp template that is not APPROVED right now (paused, disabled… since the message was accepted) blocks
 * the channel for this message: the attempt is skipped with TEMPLATE_NOT_APPROVED and the cascade moves on.
 * Free-form text inside an open window needs no template, so it is not blocked.
 */
function templateBlock(message: DispatchMessage): PlannerInput['blocked'] {
  const template = message.storedTemplate;
  if (!message.whatsappTemplate || !template || template.status === 'APPROVED') return undefined;
  return {
    whatsapp: {
      code: 'TEMPLATE_NOT_APPROVED',
      reason:
        template.status === 'NOT_REGISTERED'
          ? `template ${template.name} is not registered`
          : `template ${template.name} (${template.language}) is ${template.status}`,
    },
  };
}

/** One dispatcher step for a due message: what to submit, if anything. */
export function decide(message: DispatchMessage, ctx: RuleContext, changes: Changes): Submission | null {
  const { now } = ctx;
  if (FINAL.includes(message.status)) {
    changes.patchMessage(message, { dueAt: null });
    return null;
  }
  if (message.attempts.some((a) => reaches(a.status, message.successOn))) {
    changes.patchMessage(message, { dueAt: null });
    return null;
  }

  if (message.validUntil && message.validUntil <= now) {
    endQueued(
      message,
      changes,
      'expired',
      { kind: 'UNKNOWN', code: 'VALIDITY_EXPIRED', message: 'validity ended before submission', permanent: true },
      now,
    );
    // Already handed on (sent: e.g. email accepted by the SMTP server, which never reports delivery), or
    // delivered short of a stricter successOn: no further attempts, but it did not expire unsent, so it keeps
    // its status (statuses only move forward).
    if (message.status === 'sent' || !canMoveMessage(message.status, 'expired')) {
      changes.event(message, {
        type: 'cascade.ended',
        detail: `validity ended before ${message.successOn}; no further attempts`,
      });
      changes.patchMessage(message, { dueAt: null });
      return null;
    }
    changes.event(message, { type: 'message.expired', detail: 'validity ended; no further attempts' });
    changes.finished('expired');
    changes.patchMessage(message, { status: 'expired', dueAt: null });
    return null;
  }

  // A submission keeps the claim's lease as its due time: if this worker dies mid-call, another takes over.
  const last = message.attempts.at(-1);
  if (last && last.status === 'queued') {
    const address = addressFor(last.channel, message.recipient ?? {}) ?? '';
    if (last.inFlightSince) {
      changes.event(message, {
        type: 'attempt.recovering',
        channel: last.channel,
        attemptId: last.id,
        detail: 'resuming an interrupted submission',
      });
      return submission(message, last, address, true);
    }
    last.tries += 1;
    last.inFlightSince = now;
    changes.patchAttempt(message, last.id, { addTries: 1, inFlight: 'set' });
    changes.event(message, {
      type: 'attempt.retrying',
      channel: last.channel,
      attemptId: last.id,
      detail: `try ${last.tries} of ${MAX_TRIES}`,
    });
    changes.patchMessage(message, {
      status: message.status === 'sending' || message.status === 'sent' ? undefined : 'sending',
    });
    return submission(message, last, address, false);
  }

  let event: CascadeEvent = { type: 'start' };
  if (last && !isAttemptFailure(last.status)) {
    // In flight: only the fallback timer brings us here.
    const deadline = new Date(last.submittedAt!.getTime() + message.fallbackAfterMs);
    const hasNext = message.channels.indexOf(last.channel) < message.channels.length - 1;
    if (!hasNext || deadline > now) {
      changes.patchMessage(message, { dueAt: nextTimer(message, last) });
      return null;
    }
    event = { type: 'timeout', channel: last.channel, afterMs: message.fallbackAfterMs };
    changes.event(message, {
      type: 'attempt.timeout',
      channel: last.channel,
      attemptId: last.id,
      detail: `no ${message.successOn} within ${Math.round(message.fallbackAfterMs / 1000)}s`,
    });
  } else if (last) {
    event =
      last.status === 'skipped'
        ? { type: 'attempt-skipped', channel: last.channel, code: last.error?.code }
        : { type: 'attempt-failed', channel: last.channel, code: last.error?.code };
  }

  const decision = planNext({
    channels: message.channels,
    successOn: message.successOn,
    attempts: message.attempts.map((a) => ({ channel: a.channel, status: a.status, errorCode: a.error?.code })),
    recipient: message.recipient ?? {},
    consent: message.consent,
    available: ctx.available,
    blocked: templateBlock(message),
    event,
  });
  if (decision.action === 'send' || decision.action === 'exhausted') {
    for (const skip of decision.skips) {
      const error: ChannelError = {
        kind: skip.code === 'NO_CONSENT' || skip.code === 'TEMPLATE_NOT_APPROVED' ? skip.code : 'NOT_REACHABLE',
        code: skip.code,
        message: skip.reason,
        permanent: true,
      };
      const attempt = changes.addAttempt(
        message,
        { channel: skip.channel, provider: null, status: 'skipped', inFlight: false, error },
        now,
      );
      changes.event(message, {
        type: 'attempt.skipped',
        channel: skip.channel,
        attemptId: attempt.id,
        detail: skip.reason,
      });
      changes.attemptCounted(skip.channel, 'skipped');
    }
  }
  if (decision.action === 'send') {
    const attempt = changes.addAttempt(
      message,
      { channel: decision.channel, provider: ctx.providerName(decision.channel), status: 'queued', inFlight: true },
      now,
    );
    changes.event(message, {
      type: 'cascade.next',
      channel: decision.channel,
      attemptId: attempt.id,
      detail: decision.reason,
    });
    changes.patchMessage(message, {
      status: message.status === 'sending' || message.status === 'sent' ? undefined : 'sending',
      channel: decision.channel,
    });
    return {
      messageId: message.id,
      workspaceId: message.workspaceId,
      attemptId: attempt.id,
      channel: decision.channel,
      address: decision.address,
      tries: 1,
      recovering: false,
    };
  }
  if (decision.action === 'exhausted') {
    const inFlight = message.attempts.some((a) => a.status !== 'queued' && !isAttemptFailure(a.status));
    if (inFlight) {
      changes.event(message, {
        type: 'cascade.exhausted',
        detail: `${decision.reason}; waiting for the last attempt until validity ends`,
      });
      changes.patchMessage(message, { dueAt: message.validUntil });
      return null;
    }
    const status = message.attempts.some((a) => a.status !== 'skipped') ? 'failed' : 'rejected';
    changes.event(message, { type: `message.${status}`, detail: decision.reason });
    changes.finished(status);
    changes.patchMessage(message, { status, dueAt: null });
    return null;
  }
  changes.patchMessage(message, { dueAt: last ? nextTimer(message, last) : message.validUntil });
  return null;
}

/** Records the provider's answer to a submission. Returns true when the message is due again at once. */
export function recordSend(
  message: DispatchMessage,
  submission: Submission,
  outcome: SendOutcome,
  ctx: RuleContext,
  changes: Changes,
): boolean {
  const attempt = message.attempts.find((a) => a.id === submission.attemptId);
  if (!attempt || attempt.status !== 'queued') return false;
  const { now } = ctx;
  attempt.inFlightSince = null;
  if ('result' in outcome) {
    const { result } = outcome;
    attempt.status = result.status;
    attempt.provider = ctx.providerName(submission.channel);
    attempt.providerMessageId = result.providerMessageId;
    attempt.submittedAt = now;
    // Charged on submission: SMS per segment, Viber/RCS/email per message. WhatsApp is charged on delivery.
    const cost = attempt.channel === 'whatsapp' ? null : (ctx.price?.(message, attempt, result.segments) ?? null);
    // Meta prices a WhatsApp message by what it was when sent: the template's category (text: the free service
    // window), and whether the customer-service window was open.
    if (attempt.channel === 'whatsapp') {
      attempt.priceCategory = message.whatsappTemplate ? (message.storedTemplate?.category ?? 'MARKETING') : 'SERVICE';
      attempt.inServiceWindow = message.whatsappWindowOpen;
    }
    changes.patchAttempt(message, attempt.id, {
      priceCategory: attempt.priceCategory ?? undefined,
      inServiceWindow: attempt.inServiceWindow ?? undefined,
      costAmount: cost?.amount,
      costCurrency: cost?.currency,
      status: result.status,
      provider: attempt.provider,
      providerMessageId: result.providerMessageId,
      error: null,
      inFlight: 'clear',
      submittedAt: now,
      sentAt: result.status === 'sent' ? now : undefined,
      segments: result.segments,
      raw: result.raw,
    });
    changes.event(message, {
      type: `attempt.${result.status}`,
      channel: attempt.channel,
      attemptId: attempt.id,
      detail: `submitted to ${attempt.provider}`,
    });
    changes.attemptCounted(attempt.channel, result.status);
    changes.latency(attempt.channel, (now.getTime() - message.createdAt.getTime()) / 1000);
    const done = message.attempts.some((a) => a.id !== attempt.id && reaches(a.status, message.successOn));
    if (reaches(result.status, message.successOn) && !done) {
      // Some providers answer "sent" at once (SMTP); with successOn "sent" that ends the cascade here.
      changes.patchMessage(message, { status: 'sent', channel: attempt.channel, dueAt: null });
      changes.event(message, {
        type: 'cascade.completed',
        channel: attempt.channel,
        attemptId: attempt.id,
        detail: `${attempt.channel} reached sent`,
      });
      changes.event(message, {
        type: 'message.sent',
        channel: attempt.channel,
        attemptId: attempt.id,
        detail: `via ${attempt.channel}`,
      });
      return false;
    }
    const sentNow = result.status === 'sent' && canMoveMessage(message.status, 'sent');
    changes.patchMessage(message, {
      status: sentNow ? 'sent' : undefined,
      dueAt: done ? null : nextTimer(message, attempt),
    });
    if (sentNow)
      changes.event(message, {
        type: 'message.sent',
        channel: attempt.channel,
        attemptId: attempt.id,
        detail: `via ${attempt.channel}`,
      });
    return false;
  }
  const { error } = outcome;
  attempt.error = error;
  // An open breaker means the provider is down for everyone: move on now if the cascade has somewhere to go.
  const providerDown =
    error.code === BREAKER_OPEN && message.channels.indexOf(attempt.channel) < message.channels.length - 1;
  if (!error.permanent && attempt.tries < MAX_TRIES && !providerDown) {
    const delay = error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : backoffMs(attempt.tries, ctx.retryBaseMs);
    changes.patchAttempt(message, attempt.id, { error, inFlight: 'clear' });
    changes.event(message, {
      type: 'attempt.retry_scheduled',
      channel: attempt.channel,
      attemptId: attempt.id,
      detail: `${error.code}: ${error.message}; retry in ${Math.round(delay)}ms`,
      data: { error },
    });
    const retryAt = new Date(now.getTime() + delay);
    changes.patchMessage(message, {
      dueAt: message.validUntil && message.validUntil < retryAt ? message.validUntil : retryAt,
    });
    return false;
  }
  const status = SKIP_KINDS.has(error.kind) ? 'skipped' : 'failed';
  attempt.status = status;
  changes.patchAttempt(message, attempt.id, { status, error, inFlight: 'clear', failedAt: now });
  changes.event(message, {
    type: `attempt.${status}`,
    channel: attempt.channel,
    attemptId: attempt.id,
    detail: `${error.code}: ${error.message}`,
    data: { error },
  });
  changes.attemptCounted(attempt.channel, status);
  changes.patchMessage(message, { dueAt: 'now' });
  return true;
}

export type ReportOutcome = 'applied' | 'ignored' | 'unmatched';

const TIMESTAMP_FIELD: Partial<Record<AttemptStatus, 'sentAt' | 'deliveredAt' | 'readAt' | 'failedAt'>> = {
  sent: 'sentAt',
  delivered: 'deliveredAt',
  read: 'readAt',
  failed: 'failedAt',
  undelivered: 'failedAt',
  expired: 'failedAt',
};

/**
 * Applies a provider's delivery report. Statuses only move forward; a success of an earlier attempt after the
 * cascade moved on is recorded on that attempt and ends the cascade, never causing another send.
 * Returns whether it applied and whether the message is due at once.
 */
export function applyReport(
  message: DispatchMessage,
  attempt: DispatchAttempt,
  report: StatusReport,
  changes: Changes,
  price?: PriceAttempt,
): { outcome: ReportOutcome; wake: boolean } {
  const cost =
    report.cost ??
    (report.status === 'delivered' && attempt.channel === 'whatsapp'
      ? (price?.(message, attempt, undefined, report.pricing) ?? undefined)
      : undefined);
  return applyReportWithCost(message, attempt, { ...report, cost }, changes);
}

function applyReportWithCost(
  message: DispatchMessage,
  attempt: DispatchAttempt,
  report: StatusReport,
  changes: Changes,
): { outcome: ReportOutcome; wake: boolean } {
  if (!canMoveAttempt(attempt.status, report.status)) {
    if (attempt.status !== report.status) {
      changes.event(message, {
        type: 'report.ignored',
        channel: attempt.channel,
        attemptId: attempt.id,
        detail: `${report.status} after ${attempt.status}: statuses only move forward`,
      });
    }
    return { outcome: 'ignored', wake: false };
  }
  const alreadyDone = message.attempts.some((a) => reaches(a.status, message.successOn));
  attempt.status = report.status;
  changes.patchAttempt(message, attempt.id, {
    status: report.status,
    [TIMESTAMP_FIELD[report.status]!]: report.at,
    error: report.error,
    segments: report.segments,
    costAmount: report.cost?.amount,
    costCurrency: report.cost?.currency,
    raw: report.raw,
  });
  changes.attemptCounted(attempt.channel, report.status);
  changes.event(message, {
    type: `attempt.${report.status}`,
    channel: attempt.channel,
    attemptId: attempt.id,
    detail: report.error ? `${report.error.code}: ${report.error.message}` : `${attempt.channel} ${report.status}`,
    data: report.error ? { error: report.error } : undefined,
  });

  const isLast = message.attempts.at(-1)?.id === attempt.id;
  if (isFinalMessageStatus(message.status)) return { outcome: 'applied', wake: false };
  if (isAttemptFailure(report.status)) {
    if (!isLast || alreadyDone) return { outcome: 'applied', wake: false };
    // The planner decides what comes next, in the dispatcher.
    changes.patchMessage(message, { dueAt: 'now' });
    return { outcome: 'applied', wake: true };
  }
  const next = report.status as MessageStatus;
  const moveStatus = canMoveMessage(message.status, next);
  if (reaches(report.status, message.successOn) && !alreadyDone) {
    if (!isLast) {
      changes.event(message, {
        type: 'cascade.late_success',
        channel: attempt.channel,
        attemptId: attempt.id,
        detail: `${attempt.channel} reached ${report.status} after the cascade moved on; no further sends`,
      });
    }
    endQueued(
      message,
      changes,
      'skipped',
      {
        kind: 'UNKNOWN',
        code: 'SUPERSEDED',
        message: `${attempt.channel} already reached ${report.status}`,
        permanent: true,
      },
      report.at,
    );
    changes.patchMessage(message, { status: moveStatus ? next : undefined, channel: attempt.channel, dueAt: null });
    changes.event(message, {
      type: 'cascade.completed',
      channel: attempt.channel,
      attemptId: attempt.id,
      detail: `${attempt.channel} reached ${message.successOn}`,
    });
  } else if (moveStatus) {
    changes.patchMessage(message, { status: next });
  }
  if (moveStatus) {
    message.status = next;
    changes.event(message, {
      type: `message.${next}`,
      channel: attempt.channel,
      attemptId: attempt.id,
      detail: `via ${attempt.channel}`,
    });
  }
  return { outcome: 'applied', wake: false };
}

export { newId };
