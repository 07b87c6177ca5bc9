/** Herald's message and attempt vocabularies (API §4) and the forward-only rules between them. */
export const CHANNELS = ['sms', 'whatsapp', 'viber', 'rcs', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];
export const isChannel = (value: unknown): value is Channel => CHANNELS.includes(value as Channel);

export const MESSAGE_STATUSES = [
  'accepted',
  'scheduled',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'expired',
  'rejected',
  'canceled',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const ATTEMPT_STATUSES = [
  'queued',
  'submitted',
  'sent',
  'delivered',
  'read',
  'failed',
  'undelivered',
  'expired',
  'skipped',
] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export type SuccessOn = 'sent' | 'delivered' | 'read';
export const SUCCESS_ON: readonly SuccessOn[] = ['sent', 'delivered', 'read'];

const MESSAGE_FINAL: ReadonlySet<MessageStatus> = new Set(['failed', 'expired', 'rejected', 'canceled']);
const ATTEMPT_FINAL_FAILURE: ReadonlySet<AttemptStatus> = new Set(['failed', 'undelivered', 'expired', 'skipped']);

/** Success-side rank; final failures are handled separately. */
const SUCCESS_RANK: Record<string, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 0,
  sending: 1,
  submitted: 1,
  sent: 2,
  delivered: 3,
  read: 4,
};

export const isFinalMessageStatus = (s: MessageStatus): boolean => MESSAGE_FINAL.has(s);
export const isAttemptFailure = (s: AttemptStatus): boolean => ATTEMPT_FINAL_FAILURE.has(s);
export const successRank = (s: string): number => SUCCESS_RANK[s] ?? -1;

/** Has an attempt in status `s` reached the message's success goal? */
export const reaches = (s: AttemptStatus, goal: SuccessOn): boolean =>
  !isAttemptFailure(s) && successRank(s) >= successRank(goal);

/**
 * Forward-only for attempts: success statuses only climb; a failure ends an attempt unless it had already
 * reached `delivered` (a late "undelivered" after "delivered" is noise; "sent" then "undelivered" is a real failure).
 */
export function canMoveAttempt(from: AttemptStatus, to: AttemptStatus): boolean {
  if (from === to) return false;
  if (isAttemptFailure(from)) return false;
  if (isAttemptFailure(to)) return successRank(from) < successRank('delivered');
  return successRank(to) > successRank(from);
}

/** Forward-only for messages: success statuses only climb; final statuses never change. */
export function canMoveMessage(from: MessageStatus, to: MessageStatus): boolean {
  if (from === to) return false;
  if (isFinalMessageStatus(from)) return false;
  if (isFinalMessageStatus(to)) return successRank(from) < successRank('delivered');
  return successRank(to) > successRank(from);
}
