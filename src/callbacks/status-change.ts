import type { AttemptStatus, Channel, MessageStatus } from '#libs/core/src/index.js';

/** The attempt behind a status change, as a callback shows it (API §9 `data.attempt`). */
export interface CallbackAttempt {
  id: string;
  channel: Channel;
  provider: string | null;
  status: AttemptStatus;
  error?: { code: string; message: string; permanent: boolean };
}

/** A message status change, written to the callback outbox in the transaction that makes it. */
export interface StatusChange {
  workspaceId: string;
  messageId: string;
  status: MessageStatus;
  /** The message's channel after the change (null: keep the stored one). */
  channel: Channel | null;
  attempt: CallbackAttempt | null;
}

/** The callback view of an attempt: no provider payloads, only what API §4 shows of its error. */
export function callbackAttempt(attempt: {
  id: string;
  channel: Channel;
  provider: string | null;
  status: AttemptStatus;
  error: { code: string; message: string; permanent: boolean } | null;
}): CallbackAttempt {
  const view: CallbackAttempt = {
    id: attempt.id,
    channel: attempt.channel,
    provider: attempt.provider,
    status: attempt.status,
  };
  if (attempt.error)
    view.error = { code: attempt.error.code, message: attempt.error.message, permanent: attempt.error.permanent };
  return view;
}
