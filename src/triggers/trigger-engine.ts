import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { lookupPath } from '#libs/core/src/index.js';
import { matchesWhere, parseTriggerDefinition, type TriggerDefinition } from '#libs/triggers/src/index.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { MetricsService } from '../observability/metrics.service.js';
import { returned } from '../database/sql.js';
import type { EventRow as StoredEvent } from '../events/events.store.js';
import type { TriggerRow } from './triggers.service.js';

/** What evaluation reads of an event. */
type EventRow = Pick<
  StoredEvent,
  'id' | 'workspace_id' | 'contact_id' | 'name' | 'kind' | 'properties' | 'occurred_at' | 'received_at'
>;

interface Rule {
  row: TriggerRow;
  definition: TriggerDefinition;
}

/** A workspace's rules that listen to the batch's event names, and which of those names are conversion events. */
interface WorkspaceRules {
  rules: Rule[];
  conversions: Set<string>;
}

const BATCH = 500;
/**
 * An event that reaches Herald this long after it happened (a backfill, an import) is history: it counts for
 * first occurrences, exits, inactivity and conversions, but starts no send about the past.
 */
export const MAX_EVENT_AGE_MS = 24 * 3_600_000;
/** How many earlier events of the same name are read to decide whether one is the contact's first match. */
const FIRST_LOOKBACK = 100;

/** Advisory-lock key of one contact: events and firings of the same contact are decided one at a time. */
export const contactLock = (workspace = '$1', contact = '$2'): string =>
  `hashtextextended(${workspace} || ':' || ${contact}, 7)`;

/**
 * Evaluates new events against the rules. Events are claimed in batches with FOR UPDATE SKIP LOCKED (any number
 * of workers), the contacts they touch are locked in a fixed order (so counts, first occurrences and inactivity
 * clocks of one contact never race), and only the rules that listen to an event's name are read (indexed). A
 * rule that matches creates a firing: due now, at the end of an absence window, after a delay, or at the end of an
 * inactivity period. The firing runner decides and sends when it comes due.
 */
@Injectable()
export class TriggerEngine {
  private readonly logger = new Logger(TriggerEngine.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * One batch; returns how many events it processed. A batch runs without a savepoint per event; if one event
   * breaks it, the batch is run again with a savepoint around each event, so only that event is marked and skipped.
   */
  async processEvents(limit = BATCH): Promise<number> {
    try {
      return await this.processBatch(limit, false);
    } catch {
      return this.processBatch(limit, true);
    }
  }

  private async processBatch(limit: number, careful: boolean): Promise<number> {
    return this.db.transaction(async (m) => {
      const events: EventRow[] = await m.query(
        `SELECT id, workspace_id, contact_id, name, kind, properties, occurred_at, received_at FROM events
          WHERE processed_at IS NULL ORDER BY received_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (events.length === 0) return 0;
      // Every contact of the batch, locked in one statement in a fixed order (no deadlock between workers).
      await m.query(
        `SELECT pg_advisory_xact_lock(k) FROM (
           SELECT DISTINCT ${contactLock('x.w', 'x.c')} AS k
             FROM unnest($1::text[], $2::text[]) AS x(w, c) ORDER BY 1) keys`,
        [events.map((e) => e.workspace_id), events.map((e) => e.contact_id)],
      );
      const rules = await this.rulesFor(m, events);
      const contactDocs = await this.contactDocs(m, events);
      // In time order, so a count or a first occurrence sees the earlier events of the batch first.
      const ordered = [...events].sort((a, b) => +a.occurred_at - +b.occurred_at || (a.id < b.id ? -1 : 1));
      for (const event of ordered) {
        const workspace = rules.get(event.workspace_id) ?? { rules: [], conversions: new Set<string>() };
        if (!careful) {
          await this.evaluate(m, event, workspace, contactDocs);
          continue;
        }
        await m.query('SAVEPOINT event');
        try {
          await this.evaluate(m, event, workspace, contactDocs);
          await m.query('RELEASE SAVEPOINT event');
        } catch (error) {
          // One event that breaks evaluation must not hold the queue: it is marked with the error and skipped.
          await m.query('ROLLBACK TO SAVEPOINT event');
          const reason = error instanceof Error ? error.message : String(error);
          // The class and driver code only in the log (a message could quote the data); the message is on the row.
          const code = (error as { code?: unknown })?.code;
          this.logger.error(
            { eventId: event.id, error: error instanceof Error ? error.name : typeof error, code },
            'trigger evaluation failed',
          );
          await m.query(`UPDATE events SET process_error = $3 WHERE workspace_id = $1 AND id = $2`, [
            event.workspace_id,
            event.id,
            reason.slice(0, 500),
          ]);
        }
      }
      const now = this.clock.now();
      await m.query(`UPDATE events SET processed_at = $2 WHERE id = ANY($1::text[])`, [events.map((e) => e.id), now]);
      for (const e of events) this.metrics.eventLag.observe(Math.max(0, (+now - +e.received_at) / 1000));
      return events.length;
    });
  }

  private async evaluate(
    m: EntityManager,
    event: EventRow,
    { rules, conversions }: WorkspaceRules,
    contacts: Map<string, Record<string, unknown>>,
  ): Promise<void> {
    if (event.kind !== 'track') return;
    const doc = {
      event: event.name,
      timestamp: new Date(event.occurred_at).toISOString(),
      properties: event.properties,
      contact: contacts.get(`${event.workspace_id}\u0000${event.contact_id}`) ?? {},
    };
    if (conversions.has(event.name)) await this.attributeConversion(m, event);
    const stale = +event.received_at - +event.occurred_at > MAX_EVENT_AGE_MS;
    for (const rule of rules) {
      const d = rule.definition;
      if (d.unless && d.unless.event === event.name) await this.exit(m, rule, event, doc);
      if (d.inactivity) await this.resetInactivity(m, rule, event, stale);
      if (d.when && d.when.event === event.name && rule.row.status === 'active' && !stale) {
        if (!matchesWhere(d.when.where, doc)) continue;
        if (d.first && !(await this.isFirst(m, rule, event, doc))) continue;
        if (d.count && !(await this.countReached(m, rule, event))) continue;
        await this.createFiring(m, rule, event, doc);
      }
    }
  }

  /** Last touch: the contact's most recent triggered or broadcast send that waits for this event converts. */
  private async attributeConversion(m: EntityManager, event: EventRow): Promise<void> {
    await m.query(
      `UPDATE firings SET converted_at = $4, conversion_event_id = $5, updated_at = now()
        WHERE id = (SELECT id FROM firings
                     WHERE workspace_id = $1 AND contact_id = $2 AND status = 'sent' AND conversion_event = $3
                       AND decided_at <= $4 AND decided_at >= $4::timestamptz - conversion_within_ms * interval '1 millisecond'
                     ORDER BY decided_at DESC LIMIT 1)
          AND converted_at IS NULL`,
      [event.workspace_id, event.contact_id, event.name, event.occurred_at, event.id],
    );
  }

  /** The `unless` event: waiting absence firings of the same key end (also after the window, before the send). */
  private async exit(m: EntityManager, rule: Rule, event: EventRow, doc: Record<string, unknown>): Promise<void> {
    const matchOn = rule.definition.unless!.matchOn;
    const key = matchOn === undefined ? null : keyOf(lookupPath(doc, matchOn));
    if (matchOn !== undefined && key === null) return;
    await m.query(
      `UPDATE firings SET status = 'canceled', reason = 'exited', detail = $5, decided_at = $6, due_at = NULL, updated_at = now()
        WHERE workspace_id = $1 AND trigger_id = $2 AND contact_id = $3 AND status = 'waiting' AND kind = 'absence'
          AND event_at <= $7 AND ($4::text IS NULL OR match_key = $4)`,
      [
        event.workspace_id,
        rule.row.id,
        event.contact_id,
        key,
        `${event.name} arrived (event ${event.id})`,
        this.clock.now(),
        event.occurred_at,
      ],
    );
  }

  /**
   * Any event pushes the contact's inactivity clock back. Without `when`, an event also starts the clock when none
   * runs; with `when`, only a matching event starts one (in createFiring).
   */
  private async resetInactivity(m: EntityManager, rule: Rule, event: EventRow, stale: boolean): Promise<void> {
    const d = rule.definition;
    const period = d.inactivity!.forMs + d.delayMs;
    const moved = returned<{ id: string }>(
      await m.query(
        `UPDATE firings SET due_at = GREATEST(due_at, $4::timestamptz + $5 * interval '1 millisecond'),
                event_at = GREATEST(event_at, $4), updated_at = now()
          WHERE workspace_id = $1 AND trigger_id = $2 AND contact_id = $3 AND status = 'waiting' AND kind = 'inactivity'
          RETURNING id`,
        [event.workspace_id, rule.row.id, event.contact_id, event.occurred_at, period],
      ),
    );
    if (moved.length === 0 && !d.when && rule.row.status === 'active' && !stale) {
      await this.insertFiring(m, rule, event, {
        kind: 'inactivity',
        key: `${rule.row.id}:inactive:${event.contact_id}:${event.id}`,
        dueAt: new Date(+event.occurred_at + period),
        variables: {},
        matchKey: null,
      });
    }
  }

  /** First occurrence: no earlier matching event of the contact, and the rule has not seen one (state row). */
  private async isFirst(m: EntityManager, rule: Rule, event: EventRow, doc: Record<string, unknown>) {
    const earlier: { properties: Record<string, unknown>; occurred_at: Date }[] = await m.query(
      `SELECT properties, occurred_at FROM events
        WHERE workspace_id = $1 AND contact_id = $2 AND name = $3 AND kind = 'track' AND id <> $4
          AND (occurred_at < $5 OR (occurred_at = $5 AND id < $4))
        ORDER BY occurred_at LIMIT ${FIRST_LOOKBACK}`,
      [event.workspace_id, event.contact_id, event.name, event.id, event.occurred_at],
    );
    const where = rule.definition.when!.where;
    if (earlier.some((e) => matchesWhere(where, { ...doc, properties: e.properties }))) return false;
    const claimed = returned<{ trigger_id: string }>(
      await m.query(
        `INSERT INTO trigger_contacts (workspace_id, trigger_id, contact_id, first_event_id, first_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (trigger_id, contact_id) DO UPDATE SET first_event_id = EXCLUDED.first_event_id, first_at = EXCLUDED.first_at
           WHERE trigger_contacts.first_at IS NULL
         RETURNING trigger_id`,
        [event.workspace_id, rule.row.id, event.contact_id, event.id, event.occurred_at],
      ),
    );
    return claimed.length > 0;
  }

  /**
   * Count in a window: the matches since the rule last fired for this contact, within the window ending at this
   * event. Reaching `atLeast` fires and starts the count again.
   */
  private async countReached(m: EntityManager, rule: Rule, event: EventRow): Promise<boolean> {
    const { atLeast, withinMs } = rule.definition.count!;
    // One round trip: record the match and count the window (the statement does not see its own insert, hence + ins).
    const [row]: { n: number }[] = await m.query(
      `WITH ins AS (
         INSERT INTO trigger_matches (workspace_id, trigger_id, contact_id, event_id, occurred_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1
       ), old AS (
         -- Matches that fell out of the window can never count again: the table stays as small as the windows.
         DELETE FROM trigger_matches WHERE workspace_id = $1 AND trigger_id = $2 AND contact_id = $3
            AND occurred_at <= $5::timestamptz - $6 * interval '1 millisecond')
       SELECT ((SELECT count(*) FROM ins) + (
         SELECT count(*) FROM trigger_matches x
          WHERE x.workspace_id = $1 AND x.trigger_id = $2 AND x.contact_id = $3
            AND x.occurred_at <= $5 AND x.occurred_at > $5::timestamptz - $6 * interval '1 millisecond'
            AND x.occurred_at > COALESCE(
                  (SELECT count_fired_through FROM trigger_contacts s WHERE s.trigger_id = $2 AND s.contact_id = $3),
                  '-infinity')))::int AS n`,
      [event.workspace_id, rule.row.id, event.contact_id, event.id, event.occurred_at, withinMs],
    );
    if (row.n < atLeast) return false;
    await m.query(
      `INSERT INTO trigger_contacts (workspace_id, trigger_id, contact_id, count_fired_through) VALUES ($1, $2, $3, $4)
       ON CONFLICT (trigger_id, contact_id) DO UPDATE SET count_fired_through = EXCLUDED.count_fired_through`,
      [event.workspace_id, rule.row.id, event.contact_id, event.occurred_at],
    );
    return true;
  }

  private async createFiring(m: EntityManager, rule: Rule, event: EventRow, doc: Record<string, unknown>) {
    const d = rule.definition;
    const matchOn = d.unless?.matchOn;
    const matchKey = matchOn === undefined ? null : keyOf(lookupPath(doc, matchOn));
    if (d.inactivity) {
      // `when` then silence: one clock per contact, started by the matching event, pushed back by any event.
      const period = d.inactivity.forMs + d.delayMs;
      const running: { id: string }[] = await m.query(
        `SELECT id FROM firings WHERE workspace_id = $1 AND trigger_id = $2 AND contact_id = $3 AND status = 'waiting'
            AND kind = 'inactivity'`,
        [event.workspace_id, rule.row.id, event.contact_id],
      );
      if (running.length) return;
      await this.insertFiring(m, rule, event, {
        kind: 'inactivity',
        key: `${rule.row.id}:inactive:${event.contact_id}:${event.id}`,
        dueAt: new Date(+event.occurred_at + period),
        variables: event.properties,
        matchKey,
      });
      return;
    }
    // A window starts when Herald learns of the event if that is later (a webhook retried an hour late still
    // leaves the customer the whole window to order).
    const start = Math.max(+event.occurred_at, +event.received_at);
    const wait = (d.unless?.withinMs ?? 0) + d.delayMs;
    await this.insertFiring(m, rule, event, {
      kind: d.unless ? 'absence' : d.count ? 'count' : d.first ? 'first' : 'event',
      key: `${rule.row.id}:${event.id}`,
      dueAt: new Date(start + wait),
      variables: event.properties,
      matchKey,
    });
  }

  private async insertFiring(
    m: EntityManager,
    rule: Rule,
    event: EventRow,
    f: { kind: string; key: string; dueAt: Date; variables: Record<string, unknown>; matchKey: string | null },
  ): Promise<void> {
    const conversion = rule.definition.conversion;
    await m.query(
      `INSERT INTO firings (id, workspace_id, trigger_id, contact_id, firing_key, kind, status, event_id, event_at, match_key,
                            variables, due_at, conversion_event, conversion_within_ms)
       VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (workspace_id, firing_key) DO NOTHING`,
      [
        newId('fir'),
        event.workspace_id,
        rule.row.id,
        event.contact_id,
        f.key,
        f.kind,
        event.id,
        event.occurred_at,
        f.matchKey,
        JSON.stringify(f.variables),
        f.dueAt,
        conversion?.event ?? null,
        conversion?.withinMs ?? null,
      ],
    );
  }

  /**
   * The rules of the batch's workspaces that listen to its event names, plus every inactivity rule; and the names
   * that are some trigger's or broadcast's conversion event (only those are looked up among sent firings).
   */
  private async rulesFor(m: EntityManager, events: EventRow[]): Promise<Map<string, WorkspaceRules>> {
    const workspaces = [...new Set(events.map((e) => e.workspace_id))];
    const names = [...new Set(events.map((e) => e.name))];
    const rows: TriggerRow[] = await m.query(
      `SELECT * FROM triggers
        WHERE workspace_id = ANY($1::text[]) AND status <> 'deleted'
          AND (when_event = ANY($2::text[]) OR unless_event = ANY($2::text[]) OR inactivity)`,
      [workspaces, names],
    );
    const conversions: { workspace_id: string; name: string }[] = await m.query(
      `SELECT workspace_id, conversion_event AS name FROM triggers
        WHERE workspace_id = ANY($1::text[]) AND conversion_event = ANY($2::text[])
       UNION
       SELECT workspace_id, conversion_event FROM broadcasts
        WHERE workspace_id = ANY($1::text[]) AND conversion_event = ANY($2::text[])`,
      [workspaces, names],
    );
    const byWorkspace = new Map<string, WorkspaceRules>();
    const of = (workspaceId: string): WorkspaceRules => {
      let found = byWorkspace.get(workspaceId);
      if (!found) byWorkspace.set(workspaceId, (found = { rules: [], conversions: new Set() }));
      return found;
    };
    for (const row of rows) {
      const definition = parseTriggerDefinition(row.definition).definition;
      if (!definition) {
        // Only a hand-edited row gets here (the API validates); it must not stop every other rule.
        this.logger.error({ triggerId: row.id }, 'stored trigger definition does not parse; rule skipped');
        continue;
      }
      of(row.workspace_id).rules.push({ row, definition });
    }
    for (const c of conversions) of(c.workspace_id).conversions.add(c.name);
    return byWorkspace;
  }

  /** What `where` and `matchOn` may read about the contact: `contact.attributes.plan`, `contact.timezone`. */
  private async contactDocs(m: EntityManager, events: EventRow[]): Promise<Map<string, Record<string, unknown>>> {
    const rows: {
      workspace_id: string;
      external_id: string;
      timezone: string | null;
      locale: string | null;
      attributes: Record<string, unknown>;
    }[] = await m.query(
      `SELECT c.workspace_id, c.external_id, c.timezone, c.locale, c.attributes
         FROM contacts c JOIN unnest($1::text[], $2::text[]) AS x(workspace_id, external_id)
           ON c.workspace_id = x.workspace_id AND c.external_id = x.external_id`,
      [events.map((e) => e.workspace_id), events.map((e) => e.contact_id)],
    );
    return new Map(
      rows.map((c) => [
        `${c.workspace_id}\u0000${c.external_id}`,
        { ...c.attributes, id: c.external_id, timezone: c.timezone, locale: c.locale, attributes: c.attributes },
      ]),
    );
  }
}

/** A match or once-per key as text: strings and numbers as they are, other values as JSON; missing → null. */
export function keyOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
