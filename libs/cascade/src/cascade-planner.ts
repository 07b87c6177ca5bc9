import { isAttemptFailure, reaches, type AttemptStatus, type Channel, type SuccessOn } from '#libs/core/src/index.js';

/**
 * The cascade planner: a pure function from what has happened so far to what Herald does next, and why.
 * The dispatcher stores the decision as message events, so "why did this go out by SMS?" is answered by data.
 */
export interface PlannerAttempt {
  channel: Channel;
  status: AttemptStatus;
  errorCode?: string;
}

export interface Recipient {
  phone?: string | null;
  email?: string | null;
  viberId?: string | null;
}

export type CascadeEvent =
  | { type: 'start' }
  | { type: 'attempt-failed'; channel: Channel; code?: string }
  | { type: 'attempt-skipped'; channel: Channel; code?: string }
  | { type: 'timeout'; channel: Channel; afterMs: number }
  | { type: 'status'; channel: Channel; status: AttemptStatus };

export interface PlannerInput {
  channels: readonly Channel[];
  successOn: SuccessOn;
  attempts: readonly PlannerAttempt[];
  recipient: Recipient;
  /** `false` means the recipient refused the channel; a missing entry means no objection on record. */
  consent: Partial<Record<Channel, boolean>>;
  /** Channels that have a provider (credentials or sandbox). */
  available: ReadonlySet<Channel>;
  /** Channels this message's content cannot go out on right now (a WhatsApp template that is not APPROVED). */
  blocked?: Partial<Record<Channel, { code: SkipCode; reason: string }>>;
  event: CascadeEvent;
}

export type SkipCode = 'NO_ADDRESS' | 'NO_CONSENT' | 'CHANNEL_NOT_CONFIGURED' | 'TEMPLATE_NOT_APPROVED';

export interface PlannedSkip {
  channel: Channel;
  code: SkipCode;
  reason: string;
}

export type CascadeDecision =
  | { action: 'send'; channel: Channel; address: string; skips: PlannedSkip[]; reason: string }
  | { action: 'wait'; reason: string }
  | { action: 'done'; channel: Channel; reason: string }
  | { action: 'exhausted'; skips: PlannedSkip[]; reason: string };

/** The address a channel delivers to, if the recipient has one. */
export function addressFor(channel: Channel, recipient: Recipient): string | null {
  switch (channel) {
    case 'email':
      return recipient.email ?? null;
    case 'viber':
      return recipient.viberId ?? recipient.phone ?? null;
    default:
      return recipient.phone ?? null;
  }
}

function describe(event: CascadeEvent): string {
  switch (event.type) {
    case 'start':
      return 'message accepted';
    case 'attempt-failed':
      return `${event.channel} failed${event.code ? ` (${event.code})` : ''}`;
    case 'attempt-skipped':
      return `${event.channel} skipped${event.code ? ` (${event.code})` : ''}`;
    case 'timeout':
      return `${event.channel} did not reach the success status within ${Math.round(event.afterMs / 1000)}s`;
    case 'status':
      return `${event.channel} is ${event.status}`;
  }
}

export function planNext(input: PlannerInput): CascadeDecision {
  const succeeded = input.attempts.find((attempt) => reaches(attempt.status, input.successOn));
  if (succeeded) {
    return { action: 'done', channel: succeeded.channel, reason: `${succeeded.channel} reached ${succeeded.status}` };
  }

  const last = input.attempts.at(-1);
  const lastEnded = last === undefined || isAttemptFailure(last.status);
  // Only a timeout for the attempt in flight ends it; a stale one for an earlier channel does not.
  const timedOut = input.event.type === 'timeout' && input.event.channel === last?.channel;
  if (!lastEnded && !timedOut) {
    return { action: 'wait', reason: `waiting for ${last.channel} to reach ${input.successOn}` };
  }

  const tried = new Set(input.attempts.map((attempt) => attempt.channel));
  const why = describe(input.event);
  const skips: PlannedSkip[] = [];
  for (const channel of input.channels) {
    if (tried.has(channel)) continue;
    const address = addressFor(channel, input.recipient);
    if (!address) {
      skips.push({
        channel,
        code: 'NO_ADDRESS',
        reason: `no ${channel === 'email' ? 'email address' : channel === 'viber' ? 'Viber id or phone' : 'phone number'} for ${channel}`,
      });
    } else if (input.consent[channel] === false) {
      skips.push({ channel, code: 'NO_CONSENT', reason: `the contact has no consent for ${channel}` });
    } else if (!input.available.has(channel)) {
      skips.push({ channel, code: 'CHANNEL_NOT_CONFIGURED', reason: `${channel} is not configured` });
    } else if (input.blocked?.[channel]) {
      skips.push({ channel, ...input.blocked[channel] });
    } else {
      const skipped = skips.map((skip) => `${skip.channel} skipped: ${skip.reason}`);
      return { action: 'send', channel, address, skips, reason: [why, ...skipped, `trying ${channel}`].join('; ') };
    }
  }
  return {
    action: 'exhausted',
    skips,
    reason: [why, ...skips.map((s) => `${s.channel} skipped: ${s.reason}`), 'no channel left'].join('; '),
  };
}
