import type { ChannelError } from '#libs/channels/src/index.js';
import type { AttemptStatus, Channel, MessageStatus } from '#libs/core/src/index.js';
import { callbackAttempt, type StatusChange } from '../callbacks/status-change.js';
import { newId } from '../common/ids.js';
import type { DispatchAttempt, DispatchMessage, NewEvent } from './dispatch.types.js';

export interface AttemptPatch {
  status?: AttemptStatus;
  provider?: string;
  providerMessageId?: string;
  /** `null` clears the error; `undefined` keeps it. */
  error?: ChannelError | null;
  addTries?: number;
  inFlight?: 'set' | 'clear';
  submittedAt?: Date;
  sentAt?: Date;
  deliveredAt?: Date;
  readAt?: Date;
  failedAt?: Date;
  segments?: number;
  costAmount?: string;
  costCurrency?: string;
  priceCategory?: string;
  inServiceWindow?: boolean;
  raw?: unknown;
}

export interface MessagePatch {
  status?: MessageStatus;
  channel?: Channel;
  /** `null` takes the message off the queue; `'now'` makes it due at once. */
  dueAt?: Date | null | 'now';
}

export interface NewAttempt {
  id: string;
  workspaceId: string;
  messageId: string;
  seq: number;
  channel: Channel;
  provider: string | null;
  status: AttemptStatus;
  inFlight: boolean;
  error?: ChannelError;
  at: Date;
}

/**
 * Everything one batch of dispatcher or ingestion steps wants to write, gathered so it can be written in
 * a few bulk statements. Patches to the same row merge; events keep their order.
 */
export class Changes {
  readonly newAttempts: NewAttempt[] = [];
  readonly attemptPatches = new Map<string, AttemptPatch & { id: string; workspaceId: string }>();
  readonly messagePatches = new Map<string, MessagePatch & { id: string; workspaceId: string }>();
  readonly events: (NewEvent & { messageId: string; workspaceId: string })[] = [];
  readonly counted: { channel: Channel; status: string }[] = [];
  readonly latencies: { channel: Channel; seconds: number }[] = [];
  readonly finishedStatuses: string[] = [];
  /** Every status a message moves to, in order, for its status callbacks (written in the same transaction). */
  readonly statusChanges: StatusChange[] = [];

  addAttempt(
    message: DispatchMessage,
    attempt: {
      channel: Channel;
      provider: string | null;
      status: AttemptStatus;
      inFlight: boolean;
      error?: ChannelError;
    },
    at: Date,
  ): DispatchAttempt {
    const row: NewAttempt = {
      id: newId('att'),
      workspaceId: message.workspaceId,
      messageId: message.id,
      seq: (message.attempts.at(-1)?.seq ?? 0) + 1,
      ...attempt,
      at,
    };
    this.newAttempts.push(row);
    const held: DispatchAttempt = {
      id: row.id,
      seq: row.seq,
      channel: row.channel,
      provider: row.provider,
      providerMessageId: null,
      status: row.status,
      error: row.error ?? null,
      tries: row.inFlight ? 1 : 0,
      inFlightSince: row.inFlight ? at : null,
      submittedAt: null,
      priceCategory: null,
      inServiceWindow: null,
    };
    message.attempts.push(held);
    return held;
  }

  patchAttempt(message: DispatchMessage, attemptId: string, patch: AttemptPatch): void {
    // A patch to an attempt created in this same batch goes into its insert row instead.
    const fresh = this.newAttempts.find((a) => a.id === attemptId);
    if (fresh) {
      if (patch.status) fresh.status = patch.status;
      if (patch.error !== undefined) fresh.error = patch.error ?? undefined;
      if (patch.inFlight) fresh.inFlight = patch.inFlight === 'set';
      if (Object.keys(patch).some((k) => !['status', 'error', 'inFlight', 'failedAt'].includes(k))) {
        this.mergeAttempt(message, attemptId, patch);
      }
      return;
    }
    this.mergeAttempt(message, attemptId, patch);
  }

  private mergeAttempt(message: DispatchMessage, attemptId: string, patch: AttemptPatch): void {
    const current = this.attemptPatches.get(attemptId) ?? { id: attemptId, workspaceId: message.workspaceId };
    const merged = { ...current };
    for (const [key, value] of Object.entries(patch) as [keyof AttemptPatch, unknown][]) {
      if (value === undefined) continue;
      if (key === 'addTries') merged.addTries = (current.addTries ?? 0) + (value as number);
      else (merged as Record<string, unknown>)[key] = value;
    }
    this.attemptPatches.set(attemptId, merged);
  }

  patchMessage(message: DispatchMessage, patch: MessagePatch): void {
    if (patch.status && patch.status !== message.status) {
      // The last attempt is the one behind a new attempt, a retry, a failure or an expiry; a success names
      // its own attempt in the message.<status> event that follows (see event()).
      const last = message.attempts.at(-1);
      this.statusChanges.push({
        workspaceId: message.workspaceId,
        messageId: message.id,
        status: patch.status,
        channel: patch.channel ?? message.channel,
        attempt: last ? callbackAttempt(last) : null,
      });
    }
    if (patch.status) message.status = patch.status;
    if (patch.channel) message.channel = patch.channel;
    const current = this.messagePatches.get(message.id) ?? { id: message.id, workspaceId: message.workspaceId };
    const merged = { ...current };
    if (patch.status !== undefined) merged.status = patch.status;
    if (patch.channel !== undefined) merged.channel = patch.channel;
    if (patch.dueAt !== undefined) merged.dueAt = patch.dueAt;
    this.messagePatches.set(message.id, merged);
  }

  event(message: DispatchMessage, event: NewEvent): void {
    this.events.push({ ...event, messageId: message.id, workspaceId: message.workspaceId });
    // A late success of an earlier attempt is not the last attempt: the event says which one it was.
    const attempt = event.attemptId ? message.attempts.find((a) => a.id === event.attemptId) : undefined;
    if (!attempt || !event.type.startsWith('message.')) return;
    const change = this.statusChanges.findLast(
      (c) => c.messageId === message.id && event.type === `message.${c.status}`,
    );
    if (change) change.attempt = callbackAttempt(attempt);
  }

  attemptCounted(channel: Channel, status: string): void {
    this.counted.push({ channel, status });
  }

  latency(channel: Channel, seconds: number): void {
    this.latencies.push({ channel, seconds });
  }

  finished(status: string): void {
    this.finishedStatuses.push(status);
  }

  get empty(): boolean {
    return !this.newAttempts.length && !this.attemptPatches.size && !this.messagePatches.size && !this.events.length;
  }
}
