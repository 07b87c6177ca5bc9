import type { EntityManager } from 'typeorm';
import { newId } from '../common/ids.js';
import type { StatusChange } from './status-change.js';

/**
 * Writing status callbacks to the outbox, in the caller's transaction: the message writer, the dispatcher and
 * the cancel path call this, so a status change and its callbacks commit (or roll back) together.
 *
 * `source` is a relation with the columns workspace_id, message_id, event_id, status, channel, attempt (jsonb),
 * reference, callback_url, changed_at and n (order within the batch). Each change gets one row per destination:
 * the message's callbackUrl, and the workspace endpoint unless it is the same URL (one event id for both, so a
 * receiver can de-duplicate). An endpoint row is sent to the endpoint's URL at send time, so a PUT that fixes a
 * broken URL also fixes the callbacks still waiting for it.
 */
export function enqueueSql(source: string): string {
  return `INSERT INTO callback_outbox (workspace_id, message_id, event_id, destination, url, message_status, data, changed_at)
  SELECT s.workspace_id, s.message_id, s.event_id, d.destination, d.url, s.status,
         jsonb_build_object('id', s.message_id, 'status', s.status, 'channel', s.channel, 'attempt', s.attempt,
                            'reference', s.reference),
         s.changed_at
    FROM ${source} AS s
    LEFT JOIN webhook_endpoints w ON w.workspace_id = s.workspace_id
    CROSS JOIN LATERAL (VALUES (1, 'message', s.callback_url), (2, 'endpoint', w.url)) AS d(n, destination, url)
   WHERE d.url IS NOT NULL AND (d.n = 1 OR d.url IS DISTINCT FROM s.callback_url)
   ORDER BY s.n, d.n`;
}

/** Status changes of messages that exist (and are locked) in the caller's transaction. */
export async function enqueueStatusCallbacks(
  manager: Pick<EntityManager, 'query'>,
  changes: readonly StatusChange[],
): Promise<void> {
  if (!changes.length) return;
  await manager.query(
    enqueueSql(`(
      SELECT c.workspace_id, c.message_id, c.event_id, c.status, COALESCE(c.channel, m.channel) AS channel,
             c.attempt::jsonb AS attempt, m.reference, m.callback_url, clock_timestamp() AS changed_at, c.n
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
               WITH ORDINALITY AS c(workspace_id, message_id, event_id, status, channel, attempt, n)
        JOIN messages m ON m.id = c.message_id AND m.workspace_id = c.workspace_id)`),
    [
      changes.map((c) => c.workspaceId),
      changes.map((c) => c.messageId),
      changes.map(() => newId('evt')),
      changes.map((c) => c.status),
      changes.map((c) => c.channel),
      changes.map((c) => (c.attempt ? JSON.stringify(c.attempt) : null)),
    ],
  );
}
