import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { addressFor } from '#libs/cascade/src/index.js';
import { lookupPath, type Channel } from '#libs/core/src/index.js';
import { decideFiring, type GuardDecision, type TriggerDefinition } from '#libs/triggers/src/index.js';
import { Clock } from '../common/clock.js';
import { HeraldError } from '../common/herald-error.js';
import { returned } from '../database/sql.js';
import { MetricsService } from '../observability/metrics.service.js';
import { MessageWriter } from '../messages/message-writer.js';
import { MessageIntake, type NewMessage } from '../messages/send/message-intake.js';
import { contactLock, keyOf } from './trigger-engine.js';
import { compiled, type TriggerRow } from './triggers.service.js';

interface FiringRow {
  id: string;
  workspace_id: string;
  trigger_id: string | null;
  broadcast_id: string | null;
  contact_id: string;
  kind: string;
  event_id: string | null;
  event_at: Date | null;
  match_key: string | null;
  variables: Record<string, unknown> | null;
  due_at: Date;
  tries: number;
}

interface ContactRow {
  external_id: string;
  phone: string | null;
  email: string | null;
  viber_id: string | null;
  timezone: string | null;
  attributes: Record<string, unknown>;
  consent: Partial<Record<Channel, boolean>>;
}

type Outcome =
  | { status: 'sent'; message: NewMessage; onceKey: string | null; reason: string }
  | { status: 'recovered'; messageId: string; onceKey: string | null }
  | { status: 'suppressed' | 'canceled' | 'failed'; reason: string; detail: string }
  | { status: 'waiting'; dueAt: Date; delayed?: { reason: string; detail: string }; retry?: string };

const BATCH = 50;
/** A firing that fails to be decided for another reason than a refused send is tried again with backoff. */
const MAX_TRIES = 5;
const RETRY_BASE_MS = 5_000;

/**
 * Runs firings that have come due: the durable timers of the trigger engine and the sends of broadcasts.
 * Due firings are claimed with FOR UPDATE SKIP LOCKED; a firing whose contact another worker is deciding is
 * left for the next round (a try-lock, so workers never wait on each other). Each firing gets a decision
 * (send, suppress with a reason, delay to the end of quiet hours, cancel on the exit condition) that is stored on
 * it. A send goes through the message API's own intake with the firing as idempotency key: if a worker dies after
 * the message committed but before the firing did, the next one finds the message instead of sending again.
 */
@Injectable()
export class FiringRunner {
  private readonly logger = new Logger(FiringRunner.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly intake: MessageIntake,
    private readonly writer: MessageWriter,
    private readonly metrics: MetricsService,
  ) {}

  /** One batch of due firings; returns how many it claimed. */
  async runDue(limit = BATCH): Promise<number> {
    const decided: { outcome: string; reason: string }[] = [];
    const claimed = await this.db.transaction(async (m) => {
      const now = this.clock.now();
      const firings: FiringRow[] = await m.query(
        `SELECT id, workspace_id, trigger_id, broadcast_id, contact_id, kind, event_id, event_at, match_key, variables, due_at,
                tries
           FROM firings WHERE status = 'waiting' AND due_at <= $1
          ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      const sends: { firing: FiringRow; message: NewMessage }[] = [];
      for (const firing of firings) {
        const [lock]: { ok: boolean }[] = await m.query(`SELECT pg_try_advisory_xact_lock(${contactLock()}) AS ok`, [
          firing.workspace_id,
          firing.contact_id,
        ]);
        if (!lock.ok) continue;
        let outcome: Outcome;
        await m.query('SAVEPOINT firing');
        try {
          outcome = await this.decide(m, firing, now);
        } catch (error) {
          if (error instanceof HeraldError) {
            // The message API refused the send (a variable the event did not carry, no reachable channel…).
            outcome = { status: 'failed', reason: error.code, detail: error.message };
          } else {
            // Anything else must not hold the queue: this firing is tried again later, a few times, alone.
            await m.query('ROLLBACK TO SAVEPOINT firing');
            outcome = this.retryLater(firing, error, now);
          }
        }
        await m.query('RELEASE SAVEPOINT firing');
        await this.record(m, firing, outcome, now);
        if (outcome.status === 'sent') sends.push({ firing, message: outcome.message });
        if (outcome.status !== 'waiting')
          decided.push({
            outcome: outcome.status === 'recovered' ? 'sent' : outcome.status,
            reason: reasonOf(outcome),
          });
      }
      if (sends.length) await this.write(m, sends);
      return firings.length;
    });
    // Counted once the batch has committed (a rolled-back batch is decided again).
    for (const d of decided) this.metrics.firings.inc(d);
    return claimed;
  }

  private retryLater(firing: FiringRow, error: unknown, now: Date): Outcome {
    const name = error instanceof Error ? error.name : typeof error;
    const code = (error as { code?: unknown })?.code;
    // The class and driver code only: a message could quote the data.
    this.logger.error(
      { firingId: firing.id, error: name, code, tries: firing.tries + 1 },
      'firing could not be decided',
    );
    if (firing.tries + 1 >= MAX_TRIES) {
      return { status: 'failed', reason: 'INTERNAL', detail: `could not be decided after ${MAX_TRIES} tries` };
    }
    return {
      status: 'waiting',
      dueAt: new Date(+now + RETRY_BASE_MS * 2 ** firing.tries),
      retry: `could not be decided (${name}); trying again`,
    };
  }

  private async decide(m: EntityManager, firing: FiringRow, now: Date): Promise<Outcome> {
    const earlier: { id: string }[] = await m.query(
      `SELECT id FROM messages WHERE workspace_id = $1 AND idempotency_key = $2`,
      [firing.workspace_id, idempotencyKey(firing)],
    );
    const [contact]: ContactRow[] = await m.query(
      `SELECT external_id, phone, email, viber_id, timezone, attributes, consent FROM contacts
        WHERE workspace_id = $1 AND external_id = $2`,
      [firing.workspace_id, firing.contact_id],
    );
    if (earlier[0]) {
      // Sent before a crash kept the firing from saying so: record that send (and its oncePer key), never make another.
      const rule = firing.trigger_id ? compiled(await this.trigger(m, firing)) : null;
      return { status: 'recovered', messageId: earlier[0].id, onceKey: rule ? onceKeyOf(rule, firing, contact) : null };
    }
    return firing.trigger_id
      ? this.decideTrigger(m, firing, contact, now)
      : this.decideBroadcast(m, firing, contact, now);
  }

  private async trigger(m: EntityManager, firing: FiringRow): Promise<TriggerRow> {
    const [row]: TriggerRow[] = await m.query(`SELECT * FROM triggers WHERE workspace_id = $1 AND id = $2`, [
      firing.workspace_id,
      firing.trigger_id,
    ]);
    return row;
  }

  private async decideTrigger(
    m: EntityManager,
    firing: FiringRow,
    contact: ContactRow | undefined,
    now: Date,
  ): Promise<Outcome> {
    const row = await this.trigger(m, firing);
    const d = compiled(row);
    if (firing.kind === 'inactivity') {
      // Events processed after the clock was last pushed (or seeded) still count as activity.
      const [latest]: { at: Date | null }[] = await m.query(
        `SELECT max(occurred_at) AS at FROM events WHERE workspace_id = $1 AND contact_id = $2 AND kind = 'track'`,
        [firing.workspace_id, firing.contact_id],
      );
      const due = latest?.at ? +latest.at + d.inactivity!.forMs + d.delayMs : 0;
      if (due > +now && row.status === 'active') return { status: 'waiting', dueAt: new Date(due) };
    }
    const props = firing.variables ?? {};
    const onceKey = onceKeyOf(d, firing, contact);
    const counts = await this.sentCounts(m, firing, d, now);
    const decision = decideFiring({
      now,
      triggerStatus: row.status,
      exited: firing.kind === 'absence' && (await this.exited(m, firing, d)),
      channels: d.send.channels as Channel[],
      consent: contact?.consent ?? {},
      reachable: reachability(d.send.channels as Channel[], contact),
      timeZone: contact?.timezone ?? null,
      ...(d.limits.quietHours ? { quietHours: d.limits.quietHours } : {}),
      oncePerTaken: onceKey !== null && (await this.onceTaken(m, firing, onceKey)),
      ...(d.limits.cap ? { cap: { max: d.limits.cap.max, sent: counts.rule } } : {}),
      ...(counts.frequencyCap ? { frequencyCap: counts.frequencyCap } : {}),
    });
    if (decision.action !== 'send') return this.notSent(decision, contact);
    const { variables, ...send } = d.send as { variables?: Record<string, unknown> };
    const { contact: _shadow, ...fromEvent } = props;
    void _shadow;
    const body = {
      ...send,
      channels: decision.channels,
      to: { contactId: firing.contact_id },
      variables: { ...variables, ...fromEvent, event: props },
    };
    const message = await this.intake.prepare(firing.workspace_id, body, idempotencyKey(firing), now);
    message.origin = { triggerId: row.id, broadcastId: null, firingId: firing.id };
    return { status: 'sent', message, onceKey, reason: decision.reason };
  }

  private async decideBroadcast(
    m: EntityManager,
    firing: FiringRow,
    contact: ContactRow | undefined,
    now: Date,
  ): Promise<Outcome> {
    const [broadcast]: { id: string; status: string; message: Record<string, unknown> }[] = await m.query(
      `SELECT id, status, message FROM broadcasts WHERE workspace_id = $1 AND id = $2`,
      [firing.workspace_id, firing.broadcast_id],
    );
    if (broadcast.status === 'canceled') {
      return { status: 'canceled', reason: 'broadcast_canceled', detail: 'the broadcast was canceled' };
    }
    const channels = broadcast.message.channels as Channel[];
    const decision = decideFiring({
      now,
      triggerStatus: 'active',
      exited: false,
      channels,
      consent: contact?.consent ?? {},
      reachable: reachability(channels, contact),
      timeZone: contact?.timezone ?? null,
      oncePerTaken: false,
    });
    if (decision.action !== 'send') return this.notSent(decision, contact);
    const body = { ...broadcast.message, channels: decision.channels, to: { contactId: firing.contact_id } };
    const message = await this.intake.prepare(firing.workspace_id, body, idempotencyKey(firing), now);
    message.origin = { triggerId: null, broadcastId: broadcast.id, firingId: firing.id };
    return { status: 'sent', message, onceKey: null, reason: decision.reason };
  }

  private notSent(decision: Exclude<GuardDecision, { action: 'send' }>, contact: ContactRow | undefined): Outcome {
    if (decision.action === 'delay') {
      return {
        status: 'waiting',
        dueAt: decision.until,
        delayed: { reason: decision.reason, detail: decision.detail },
      };
    }
    if (decision.action === 'cancel') return { status: 'canceled', reason: decision.reason, detail: decision.detail };
    const detail = !contact && decision.reason === 'no_address' ? 'the contact does not exist' : decision.detail;
    return { status: 'suppressed', reason: decision.reason, detail };
  }

  /** The exit condition: the `unless` event (same key) arrived after the event that started the window. */
  private async exited(m: EntityManager, firing: FiringRow, d: TriggerDefinition): Promise<boolean> {
    const unless = d.unless!;
    const rows: { properties: Record<string, unknown> }[] = await m.query(
      `SELECT properties FROM events WHERE workspace_id = $1 AND contact_id = $2 AND name = $3 AND kind = 'track'
          AND occurred_at >= $4 ORDER BY occurred_at LIMIT 1000`,
      [firing.workspace_id, firing.contact_id, unless.event, firing.event_at],
    );
    if (unless.matchOn === undefined) return rows.length > 0;
    return rows.some((e) => keyOf(lookupPath({ properties: e.properties }, unless.matchOn!)) === firing.match_key);
  }

  private async onceTaken(m: EntityManager, firing: FiringRow, key: string): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `SELECT 1 FROM firing_once WHERE workspace_id = $1 AND trigger_id = $2 AND contact_id = $3 AND once_key = $4`,
      [firing.workspace_id, firing.trigger_id, firing.contact_id, key],
    );
    return rows.length > 0;
  }

  /** Sends to this contact: by this rule within its cap's period, and by every rule within the workspace cap's. */
  private async sentCounts(m: EntityManager, firing: FiringRow, d: TriggerDefinition, now: Date) {
    const [settings]: { frequency_cap: { max: number; perMs: number } | null }[] = await m.query(
      `SELECT frequency_cap FROM workspace_settings WHERE workspace_id = $1`,
      [firing.workspace_id],
    );
    const cap = settings?.frequency_cap ?? null;
    const [row]: { rule: number; all: number }[] = await m.query(
      `SELECT count(*) FILTER (WHERE trigger_id = $3 AND decided_at > $4::timestamptz - $5 * interval '1 millisecond')::int AS rule,
              count(*) FILTER (WHERE decided_at > $4::timestamptz - $6 * interval '1 millisecond')::int AS all
         FROM firings
        WHERE workspace_id = $1 AND contact_id = $2 AND status = 'sent' AND trigger_id IS NOT NULL
          AND decided_at > $4::timestamptz - GREATEST($5, $6) * interval '1 millisecond'`,
      [firing.workspace_id, firing.contact_id, firing.trigger_id, now, d.limits.cap?.perMs ?? 0, cap?.perMs ?? 0],
    );
    return { rule: row.rule, frequencyCap: cap ? { max: cap.max, sent: row.all } : undefined };
  }

  private async record(m: EntityManager, firing: FiringRow, outcome: Outcome, now: Date): Promise<void> {
    if (outcome.status === 'waiting') {
      await m.query(
        `UPDATE firings SET due_at = $2, delayed_reason = COALESCE($3, delayed_reason),
                delayed_until = CASE WHEN $3::text IS NULL THEN delayed_until ELSE $2 END,
                detail = COALESCE($4, detail), tries = tries + $5, updated_at = now() WHERE id = $1`,
        [
          firing.id,
          outcome.dueAt,
          outcome.delayed?.reason ?? null,
          outcome.delayed?.detail ?? outcome.retry ?? null,
          outcome.retry ? 1 : 0,
        ],
      );
      return;
    }
    if (outcome.status === 'recovered') {
      if (outcome.onceKey !== null) await this.takeOnce(m, firing, outcome.onceKey);
      await m.query(
        `UPDATE firings SET status = 'sent', detail = 'sent before a worker restart', decided_at = $2, due_at = NULL,
                message_id = $3, updated_at = now() WHERE id = $1`,
        [firing.id, now, outcome.messageId],
      );
      return;
    }
    if (outcome.status === 'sent' && outcome.onceKey !== null) await this.takeOnce(m, firing, outcome.onceKey);
    const sent = outcome.status === 'sent';
    await m.query(
      `UPDATE firings SET status = $2, reason = $3, detail = $4, decided_at = $5, due_at = NULL, message_id = COALESCE($6, message_id),
              updated_at = now() WHERE id = $1`,
      [
        firing.id,
        outcome.status,
        sent ? null : outcome.reason,
        sent ? outcome.reason : outcome.detail,
        now,
        sent ? outcome.message.id : null,
      ],
    );
  }

  private async takeOnce(m: EntityManager, firing: FiringRow, key: string): Promise<void> {
    await m.query(
      `INSERT INTO firing_once (workspace_id, trigger_id, contact_id, once_key, firing_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [firing.workspace_id, firing.trigger_id, firing.contact_id, key, firing.id],
    );
  }

  /** The messages of the sends decided in this batch, in one group commit; a replay keeps the first message. */
  private async write(m: EntityManager, sends: { firing: FiringRow; message: NewMessage }[]): Promise<void> {
    const results = await this.writer.writeMany(sends.map((s) => s.message));
    for (const [index, result] of results.entries()) {
      if (result.inserted) continue;
      const { firing } = sends[index];
      const rows = returned<{ id: string }>(
        await m.query(
          `UPDATE firings f SET message_id = msg.id FROM messages msg
            WHERE f.id = $1 AND msg.workspace_id = $2 AND msg.idempotency_key = $3 RETURNING msg.id`,
          [firing.id, firing.workspace_id, idempotencyKey(firing)],
        ),
      );
      if (!rows.length) this.logger.warn({ firingId: firing.id }, 'triggered message neither written nor found');
    }
  }
}

const idempotencyKey = (firing: FiringRow): string => `firing:${firing.id}`;

function reasonOf(outcome: Exclude<Outcome, { status: 'waiting' }>): string {
  if (outcome.status === 'recovered') return 'recovered';
  return outcome.status === 'sent' ? '' : outcome.reason;
}

/** The firing's `oncePer` key (null when the rule has none or the event lacks it: then it is not limited). */
function onceKeyOf(d: TriggerDefinition, firing: FiringRow, contact: ContactRow | undefined): string | null {
  if (d.limits.oncePer === undefined) return null;
  const doc = { properties: firing.variables ?? {}, contact: contact ? contactDoc(contact) : {} };
  return keyOf(lookupPath(doc, d.limits.oncePer));
}

function contactDoc(contact: ContactRow): Record<string, unknown> {
  return { ...contact.attributes, id: contact.external_id, timezone: contact.timezone, attributes: contact.attributes };
}

function reachability(channels: Channel[], contact: ContactRow | undefined): Partial<Record<Channel, boolean>> {
  const recipient = {
    phone: contact?.phone ?? undefined,
    email: contact?.email ?? undefined,
    viberId: contact?.viber_id ?? undefined,
  };
  return Object.fromEntries(channels.map((c) => [c, addressFor(c, recipient) !== null]));
}
