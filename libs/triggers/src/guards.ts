import type { Channel } from '#libs/core/src/index.js';
import { isValidTimeZone, quietHoursEnd } from './quiet-hours.js';

/**
 * What happens when a trigger firing (or a broadcast send) comes due: send, suppress, delay or cancel, and why.
 * The decision is stored as a trigger event, so "why did this not go out?" is answered by data. Details never carry
 * personal data (no phone number or email address).
 */
export type SuppressReason = 'trigger_paused' | 'once_per' | 'cap' | 'frequency_cap' | 'no_consent' | 'no_address';

export interface GuardInput {
  now: Date;
  /** Broadcasts pass 'active'. */
  triggerStatus: 'active' | 'paused' | 'deleted';
  /** The `unless` event arrived before the send. */
  exited: boolean;
  /** The cascade the trigger asks for, in order. */
  channels: Channel[];
  /** The contact's; only an explicit false removes a channel. */
  consent: Partial<Record<Channel, boolean>>;
  /** Whether the contact has an address for that channel. */
  reachable: Partial<Record<Channel, boolean>>;
  timeZone: string | null;
  quietHours?: { from: string; to: string };
  oncePerTaken: boolean;
  /** Sends of this rule to this contact within cap.per. */
  cap?: { max: number; sent: number };
  /** All triggered sends to this contact within the workspace cap's period. */
  frequencyCap?: { max: number; sent: number };
}

export type GuardDecision =
  | { action: 'send'; channels: Channel[]; reason: string }
  | { action: 'suppress'; reason: SuppressReason; detail: string }
  | { action: 'delay'; until: Date; reason: 'quiet_hours'; detail: string }
  | { action: 'cancel'; reason: 'exited' | 'trigger_deleted'; detail: string };

const list = (channels: readonly Channel[]): string => channels.join(', ');

export function decideFiring(input: GuardInput): GuardDecision {
  if (input.triggerStatus === 'deleted') {
    return { action: 'cancel', reason: 'trigger_deleted', detail: 'the trigger was deleted before the send was due' };
  }
  if (input.exited) {
    return { action: 'cancel', reason: 'exited', detail: 'the contact did the exit event before the send was due' };
  }
  if (input.triggerStatus === 'paused') {
    return { action: 'suppress', reason: 'trigger_paused', detail: 'the trigger is paused' };
  }

  const refused = input.channels.filter((channel) => input.consent[channel] === false);
  const consented = input.channels.filter((channel) => input.consent[channel] !== false);
  if (consented.length === 0) {
    return { action: 'suppress', reason: 'no_consent', detail: `the contact has no consent for ${list(refused)}` };
  }
  if (!consented.some((channel) => input.reachable[channel] === true)) {
    return {
      action: 'suppress',
      reason: 'no_address',
      detail: `the contact has no address for ${list(consented)}`,
    };
  }
  if (input.oncePerTaken) {
    return { action: 'suppress', reason: 'once_per', detail: 'the trigger already fired for this oncePer value' };
  }
  if (input.cap && input.cap.sent >= input.cap.max) {
    return {
      action: 'suppress',
      reason: 'cap',
      detail: `the trigger's cap of ${input.cap.max} per period is reached (${input.cap.sent} sent)`,
    };
  }
  if (input.frequencyCap && input.frequencyCap.sent >= input.frequencyCap.max) {
    return {
      action: 'suppress',
      reason: 'frequency_cap',
      detail: `the workspace frequency cap of ${input.frequencyCap.max} triggered sends per period is reached (${input.frequencyCap.sent} sent)`,
    };
  }
  if (input.quietHours) {
    const until = quietHoursEnd(input.now, input.timeZone, input.quietHours);
    if (until) {
      const { from, to } = input.quietHours;
      const zone = input.timeZone !== null && isValidTimeZone(input.timeZone) ? input.timeZone : 'UTC';
      return {
        action: 'delay',
        until,
        reason: 'quiet_hours',
        detail: `quiet hours ${from}–${to} (${zone}): delayed to ${until.toISOString()}`,
      };
    }
  }
  const skipped = refused.length > 0 ? `; ${list(refused)} left out for lack of consent` : '';
  return { action: 'send', channels: consented, reason: `send on ${list(consented)}${skipped}` };
}
