import { v5 as uuidv5 } from 'uuid';

/** Herald attempt ids are `att_` + the 32 hex digits of a UUIDv7. */
const ATTEMPT_ID = /^att_([0-9a-f]{32})$/i;

/** Namespace for ids that do not have Herald's usual shape (name-based UUIDv5, still deterministic). */
const HERALD_RBM_NAMESPACE = '6f1c2a4e-8d3b-4f5a-9c7e-0b2d4e6f8a1c';

/**
 * The RBM `messageId` for an attempt. RBM silently ignores a second message with an id it has seen, so the
 * id must be the same on every try of one attempt: a retry after a crash between "called RBM" and
 * "recorded the answer" then cannot reach the phone twice.
 */
export function rbmMessageId(attemptId: string): string {
  const match = ATTEMPT_ID.exec(attemptId);
  if (!match) return uuidv5(attemptId, HERALD_RBM_NAMESPACE);
  const hex = match[1]!.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
