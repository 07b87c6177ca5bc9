import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface FiringStats {
  /** Firings that came due and were decided: sent, suppressed, or failed to make a message. */
  fired: number;
  suppressed: Record<string, number>;
  sent: number;
  delivered: number;
  /** Sent messages that ended failed, expired or rejected, plus firings whose message could not be made. */
  failed: number;
  converted: number;
  /** converted / sent (0 when nothing was sent). */
  conversionRate: number;
  /** Still waiting: absence windows, delays, quiet hours, inactivity clocks. */
  pending: number;
  /** Ended before the send by the exit condition, a deletion or a canceled broadcast. */
  canceled: number;
}

export interface StatsRow extends FiringStats {
  type: 'trigger' | 'broadcast';
  id: string;
  name: string;
}

const AGGREGATES = `
  count(*) FILTER (WHERE f.status IN ('sent', 'suppressed', 'failed'))::int AS fired,
  count(*) FILTER (WHERE f.status = 'sent')::int AS sent,
  count(*) FILTER (WHERE f.status = 'waiting')::int AS pending,
  count(*) FILTER (WHERE f.status = 'canceled')::int AS canceled,
  count(*) FILTER (WHERE f.status = 'sent' AND m.status IN ('delivered', 'read'))::int AS delivered,
  count(*) FILTER (WHERE f.status = 'failed' OR (f.status = 'sent' AND m.status IN ('failed', 'expired', 'rejected')))::int AS failed,
  count(*) FILTER (WHERE f.status = 'sent' AND f.converted_at IS NOT NULL)::int AS converted`;

type Raw = Omit<FiringStats, 'suppressed' | 'conversionRate'> & { group_id: string };

/**
 * Trigger and broadcast figures (API §7 stats, API §8 triggers report), counted from the firings and the
 * messages they made (by primary key), through the firings' (workspace, trigger|broadcast, created_at) indexes.
 */
@Injectable()
export class FiringStatsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async forTrigger(workspaceId: string, triggerId: string): Promise<FiringStats> {
    const rows = await this.grouped(workspaceId, 'trigger_id', [triggerId], null, null);
    return rows.get(triggerId) ?? empty();
  }

  async forBroadcast(workspaceId: string, broadcastId: string): Promise<FiringStats> {
    const rows = await this.grouped(workspaceId, 'broadcast_id', [broadcastId], null, null);
    return rows.get(broadcastId) ?? empty();
  }

  /** Every trigger and broadcast of the workspace, side by side; firings counted when created within [from, to). */
  async report(workspaceId: string, from: Date | null, to: Date | null): Promise<StatsRow[]> {
    const triggers: { id: string; name: string; status: string }[] = await this.db.query(
      `SELECT id, name, status FROM triggers WHERE workspace_id = $1 ORDER BY id`,
      [workspaceId],
    );
    const broadcasts: { id: string; name: string }[] = await this.db.query(
      `SELECT id, name FROM broadcasts WHERE workspace_id = $1 ORDER BY id`,
      [workspaceId],
    );
    const byTrigger = await this.grouped(
      workspaceId,
      'trigger_id',
      triggers.map((t) => t.id),
      from,
      to,
    );
    const byBroadcast = await this.grouped(
      workspaceId,
      'broadcast_id',
      broadcasts.map((b) => b.id),
      from,
      to,
    );
    return [
      ...triggers
        .filter((t) => t.status !== 'deleted' || byTrigger.has(t.id))
        .map((t) => ({ type: 'trigger' as const, id: t.id, name: t.name, ...(byTrigger.get(t.id) ?? empty()) })),
      ...broadcasts.map((b) => ({
        type: 'broadcast' as const,
        id: b.id,
        name: b.name,
        ...(byBroadcast.get(b.id) ?? empty()),
      })),
    ];
  }

  private async grouped(
    workspaceId: string,
    column: 'trigger_id' | 'broadcast_id',
    ids: string[],
    from: Date | null,
    to: Date | null,
  ): Promise<Map<string, FiringStats>> {
    if (!ids.length) return new Map();
    const range = `($3::timestamptz IS NULL OR f.created_at >= $3) AND ($4::timestamptz IS NULL OR f.created_at < $4)`;
    const totals: Raw[] = await this.db.query(
      `SELECT f.${column} AS group_id, ${AGGREGATES}
         FROM firings f LEFT JOIN messages m ON m.id = f.message_id AND m.workspace_id = f.workspace_id
        WHERE f.workspace_id = $1 AND f.${column} = ANY($2::text[]) AND ${range}
        GROUP BY f.${column}`,
      [workspaceId, ids, from, to],
    );
    const reasons: { group_id: string; reason: string; n: number }[] = await this.db.query(
      `SELECT f.${column} AS group_id, f.reason, count(*)::int AS n FROM firings f
        WHERE f.workspace_id = $1 AND f.${column} = ANY($2::text[]) AND f.status = 'suppressed' AND ${range}
        GROUP BY f.${column}, f.reason ORDER BY f.reason`,
      [workspaceId, ids, from, to],
    );
    const result = new Map<string, FiringStats>();
    for (const raw of totals) {
      const suppressed: Record<string, number> = {};
      for (const r of reasons) if (r.group_id === raw.group_id) suppressed[r.reason] = r.n;
      result.set(raw.group_id, {
        fired: raw.fired,
        suppressed,
        sent: raw.sent,
        delivered: raw.delivered,
        failed: raw.failed,
        converted: raw.converted,
        conversionRate: raw.sent ? Math.round((raw.converted / raw.sent) * 10_000) / 10_000 : 0,
        pending: raw.pending,
        canceled: raw.canceled,
      });
    }
    return result;
  }
}

function empty(): FiringStats {
  return {
    fired: 0,
    suppressed: {},
    sent: 0,
    delivered: 0,
    failed: 0,
    converted: 0,
    conversionRate: 0,
    pending: 0,
    canceled: 0,
  };
}
