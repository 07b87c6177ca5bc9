import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import { HeraldError } from '../common/herald-error.js';
import type { GroupBy, ReportRange } from './report-query.js';
import type { RawSummaryRow } from './summary/summary-row.js';

/**
 * The reports' SQL, in one place. Every figure is computed from the stored state of messages and attempts,
 * whose statuses only move forward (libs/core/src/statuses.ts): a late, repeated or out-of-order provider event
 * changes a report only by moving a message forward, exactly as it moved the message. Every statement is scoped
 * by workspace, reads the workspace's messages created in [from, to) through `messages_workspace_created`, and
 * each message's attempts through the unique (workspace_id, message_id, seq) index. The summary's plan
 * (EXPLAIN ANALYZE, one day of a workspace holding 1,000,000 messages: 33,333 messages, 0.36 s; README "Reports"):
 *
 *   Sort (GROUPING(key), accepted DESC, key)
 *     CTE per_message
 *       -> Nested Loop
 *            -> Bitmap Heap Scan on messages m                  (a range covering most of a workspace: Seq Scan)
 *                 -> Bitmap Index Scan on messages_workspace_created
 *                      Index Cond: (workspace_id = $1 AND created_at >= $2 AND created_at < $3)
 *            -> Aggregate
 *                 -> Index Scan using attempts_workspace_id_message_id_seq_key on attempts x
 *                      Index Cond: (workspace_id = m.workspace_id AND message_id = m.id)
 *     -> Hash Left Join                                          (the other currencies' sums)
 *          -> GroupAggregate (Group Key: key; Group Key: ())     (the rows and the totals in one pass)
 *               -> Sort (key) -> CTE Scan on per_message
 */

/** The group key of each groupBy, over one message `m` and the figures `a` of its attempts (see summarySql). */
const KEYS: Record<GroupBy, string> = {
  channel: `m.channel`,
  provider: `a.provider`,
  // The template named for the channel the message ended on, else the first one it names in cascade order.
  template: `CASE WHEN m.templates IS NOT NULL THEN
                COALESCE(m.templates ->> m.channel,
                         (SELECT m.templates ->> c.channel FROM unnest(m.channels) WITH ORDINALITY AS c(channel, n)
                           WHERE m.templates ? c.channel ORDER BY c.n LIMIT 1)) END`,
  trigger: `m.trigger_id`,
  broadcast: `m.broadcast_id`,
  country: `m.country`,
  day: `to_char(m.created_at AT TIME ZONE $5, 'YYYY-MM-DD')`,
};

const LABELS: Partial<Record<GroupBy, string>> = {
  trigger: `(SELECT t.name FROM triggers t WHERE t.workspace_id = $1 AND t.id = g.key)`,
  broadcast: `(SELECT b.name FROM broadcasts b WHERE b.workspace_id = $1 AND b.id = g.key)`,
};

/** Rows in key order for days, else the biggest groups first; the totals row (total = 1) last. */
const ORDER: Record<'day' | 'other', string> = {
  day: `g.total, g.key COLLATE "C"`,
  other: `g.total, g.accepted DESC, g.key COLLATE "C"`,
};

const SUCCESS = `('sent', 'delivered', 'read')`;
const DELIVERED = `('delivered', 'read')`;

/**
 * Per message (its attempts aggregated through the attempts index, one probe per message): its status, its group
 * key, how many attempts it made (skipped ones included), the provider and delivery time of the attempt on its
 * final channel (`messages.channel`: the channel of the last attempt the cascade made, or of an earlier attempt
 * whose late success ended the cascade; a message has at most one attempt per channel, since the cascade's
 * channels are distinct and retries reuse the attempt), and its attempts' costs: the sum in the rate card's
 * currency ($4), and any non-zero amounts in other currencies. Then the figures per group and for all messages
 * (GROUPING SETS: one pass), and the other currencies' sums. Times are cut to the millisecond, as the API shows
 * them.
 */
function summarySql(groupBy: GroupBy): string {
  return `
WITH per_message AS MATERIALIZED (
  SELECT m.status,
         COALESCE(${KEYS[groupBy]}, 'none') AS key,
         a.attempts,
         -- Never negative: a provider's clock (or its whole-second timestamps) can put delivery a moment early.
         CASE WHEN a.done_at IS NOT NULL THEN
           GREATEST(0, round((extract(epoch FROM date_trunc('milliseconds', a.done_at))
                              - extract(epoch FROM date_trunc('milliseconds', m.created_at))) * 1000))::bigint
         END AS deliver_ms,
         a.cost, a.other_currencies, a.other_amounts
    FROM messages m
    CROSS JOIN LATERAL (
      SELECT count(*) AS attempts,
             max(x.provider) FILTER (WHERE x.channel = m.channel) AS provider,
             max(COALESCE(x.delivered_at, x.read_at)) FILTER (WHERE x.channel = m.channel) AS done_at,
             sum(x.cost_amount) FILTER (WHERE x.cost_currency = $4) AS cost,
             array_agg(x.cost_currency) FILTER (WHERE x.cost_currency <> $4 AND x.cost_amount <> 0) AS other_currencies,
             array_agg(x.cost_amount) FILTER (WHERE x.cost_currency <> $4 AND x.cost_amount <> 0) AS other_amounts
        FROM attempts x
       WHERE x.workspace_id = m.workspace_id AND x.message_id = m.id
    ) a
   WHERE m.workspace_id = $1 AND m.created_at >= $2 AND m.created_at < $3
), groups AS (
  SELECT key, GROUPING(key) AS total,
         count(*)::int AS accepted,
         count(*) FILTER (WHERE status IN ${SUCCESS})::int AS sent,
         count(*) FILTER (WHERE status IN ${DELIVERED})::int AS delivered,
         count(*) FILTER (WHERE status = 'read')::int AS read,
         count(*) FILTER (WHERE status IN ('failed', 'rejected'))::int AS failed,
         count(*) FILTER (WHERE status = 'rejected')::int AS rejected,
         count(*) FILTER (WHERE status = 'expired')::int AS expired,
         count(*) FILTER (WHERE status = 'canceled')::int AS canceled,
         count(*) FILTER (WHERE status IN ('accepted', 'scheduled', 'sending'))::int AS pending,
         count(*) FILTER (WHERE attempts > 1)::int AS fell_back,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY deliver_ms) FILTER (WHERE status IN ${DELIVERED}) AS median_ms,
         COALESCE(sum(cost), 0)::text AS cost
    FROM per_message
   GROUP BY GROUPING SETS ((key), ())
), other_costs AS (
  SELECT key, total, json_agg(json_build_object('currency', currency, 'amount', amount) ORDER BY currency) AS costs
    FROM (SELECT key, GROUPING(key) AS total, c.currency, sum(c.amount)::text AS amount
            FROM per_message, unnest(other_currencies, other_amounts) AS c(currency, amount)
           WHERE other_currencies IS NOT NULL
           GROUP BY GROUPING SETS ((key, c.currency), (c.currency))) s
   GROUP BY key, total
)
SELECT g.key, ${LABELS[groupBy] ?? 'NULL::text'} AS label, g.total, g.accepted, g.sent, g.delivered, g.read, g.failed,
       g.rejected, g.expired, g.canceled, g.pending, g.fell_back, g.median_ms, g.cost, o.costs AS other_costs
  FROM groups g
  LEFT JOIN other_costs o ON o.total = g.total AND o.key IS NOT DISTINCT FROM g.key
 ORDER BY ${ORDER[groupBy === 'day' ? 'day' : 'other']}`;
}

/** Each message's path (its attempts' channels in order, skipped ones included) and final status, counted. */
const CASCADES_SQL = `
SELECT COALESCE(p.path, '{}') AS path, m.status AS outcome, count(*)::int AS count
  FROM messages m
  LEFT JOIN LATERAL (
    SELECT array_agg(x.channel ORDER BY x.seq) AS path
      FROM attempts x
     WHERE x.workspace_id = m.workspace_id AND x.message_id = m.id
  ) p ON true
 WHERE m.workspace_id = $1 AND m.created_at >= $2 AND m.created_at < $3
 GROUP BY 1, 2
 ORDER BY 3 DESC, array_to_string(COALESCE(p.path, '{}'), ',') COLLATE "C", m.status COLLATE "C"`;

const FETCH_SIZE = 500;

/**
 * Settings for a report's transaction. JIT compilation costs ~0.4 s per query and gains little on these
 * aggregates (measured: 0.98 s → 0.89 s over 180,000 messages without it); the per-message rows are sorted by
 * key in memory rather than on disk; and a report over a long range may take longer than the API's 30 s.
 */
const REPORT_TIMEOUT_S = 120;
const SETTINGS = [
  `SET LOCAL jit = off`,
  `SET LOCAL work_mem = '32MB'`,
  `SET LOCAL statement_timeout = '${REPORT_TIMEOUT_S}s'`,
];

/** PostgreSQL's query_canceled: here, the statement timeout. */
function tooLong(error: unknown): unknown {
  const code = (error as { driverError?: { code?: string } }).driverError?.code;
  if (code !== '57014') return error;
  return new HeraldError(
    'RULE_VIOLATION',
    `The report did not finish within ${REPORT_TIMEOUT_S} s: ask for a shorter range`,
    [{ field: 'from', issue: 'the range holds too many messages to report at once' }],
  );
}

/**
 * Rows of one statement fetched through a server-side cursor, a batch at a time, in one read-only transaction
 * (one snapshot). `close()` is idempotent and must be called (it is also called when the rows run out).
 */
export class RowCursor<T> {
  private open = true;

  constructor(private readonly runner: QueryRunner) {}

  async next(): Promise<T[]> {
    if (!this.open) return [];
    try {
      const rows = (await this.runner.query(`FETCH ${FETCH_SIZE} FROM report_rows`)) as T[];
      if (rows.length < FETCH_SIZE) await this.close();
      return rows;
    } catch (error) {
      await this.close();
      throw tooLong(error);
    }
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    try {
      await this.runner.query('ROLLBACK');
    } finally {
      await this.runner.release();
    }
  }
}

@Injectable()
export class ReportsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The workspace's rate-card currency (null: the shipped card's). */
  async cardCurrency(workspaceId: string): Promise<string | null> {
    const rows: { currency: string | null }[] = await this.db.query(
      `SELECT card ->> 'currency' AS currency FROM rate_cards WHERE workspace_id = $1`,
      [workspaceId],
    );
    return rows[0]?.currency ?? null;
  }

  /** The summary's rows (the totals row last), through a cursor: the CSV export streams them as they come. */
  async summary(
    workspaceId: string,
    groupBy: GroupBy,
    range: ReportRange,
    currency: string,
  ): Promise<RowCursor<RawSummaryRow>> {
    const params: unknown[] = [workspaceId, range.from, range.to, currency];
    if (groupBy === 'day') params.push(range.timeZone);
    const runner = await this.begin();
    try {
      await runner.query(`DECLARE report_rows NO SCROLL CURSOR FOR ${summarySql(groupBy)}`, params);
    } catch (error) {
      await this.end(runner);
      throw error;
    }
    return new RowCursor<RawSummaryRow>(runner);
  }

  async cascades(
    workspaceId: string,
    range: ReportRange,
  ): Promise<{ path: string[]; outcome: string; count: number }[]> {
    const runner = await this.begin();
    try {
      return await runner.query(CASCADES_SQL, [workspaceId, range.from, range.to]);
    } catch (error) {
      throw tooLong(error);
    } finally {
      await this.end(runner);
    }
  }

  private async begin(): Promise<QueryRunner> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      for (const setting of SETTINGS) await runner.query(setting);
    } catch (error) {
      await this.end(runner);
      throw error;
    }
    return runner;
  }

  private async end(runner: QueryRunner): Promise<void> {
    try {
      await runner.query('ROLLBACK');
    } catch {
      // the connection is broken: releasing it is all there is left to do
    } finally {
      await runner.release();
    }
  }
}
