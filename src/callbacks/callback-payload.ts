import type { CallbackAttempt } from './status-change.js';

/** What the outbox keeps of a status change (`callback_outbox.data`). */
export interface CallbackData {
  id: string;
  status: string;
  channel: string | null;
  attempt: CallbackAttempt | null;
  reference: string | null;
}

export const CALLBACK_TYPE = 'message.status';

/**
 * The body of a status callback (API §9), built the same way on every retry so its bytes, and so its
 * signature for a given timestamp, do not change. Keys come in a fixed order (jsonb keeps its own).
 */
export function callbackBody(eventId: string, data: CallbackData, changedAt: Date): string {
  const attempt = data.attempt
    ? {
        id: data.attempt.id,
        channel: data.attempt.channel,
        provider: data.attempt.provider,
        status: data.attempt.status,
        ...(data.attempt.error
          ? {
              error: {
                code: data.attempt.error.code,
                message: data.attempt.error.message,
                permanent: data.attempt.error.permanent,
              },
            }
          : {}),
      }
    : null;
  return JSON.stringify({
    id: eventId,
    type: CALLBACK_TYPE,
    data: {
      id: data.id,
      status: data.status,
      channel: data.channel,
      attempt,
      reference: data.reference,
      at: changedAt.toISOString(),
    },
  });
}
