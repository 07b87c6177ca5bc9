import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { newId } from '../common/ids.js';
import { MetricsService } from '../observability/metrics.service.js';
import type { IngestEvent } from './integrations/ingest-event.js';

export type EventSource = 'api' | 'segment' | 'shopify';

export interface IngestedEvent {
  id: string;
  /** The event's `id` had been received before: nothing new was stored. */
  duplicate: boolean;
}

const CONTACT_ID = /^[\w.:@+-]{1,128}$/;

/**
 * Stores events from every source (API, Segment, Shopify) in one statement: unknown contacts are created,
 * what a source says about a contact (email, phone, traits) is recorded on it, and `id` de-duplicates
 * (a unique index, so concurrent retries of the same event store it once). The trigger engine picks the
 * events up from the table; listeners are told at once so this process starts without waiting for a poll.
 */
@Injectable()
export class EventIngestService {
  private readonly listeners: (() => void)[] = [];

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  onIngested(listener: () => void): void {
    this.listeners.push(listener);
  }

  async ingest(workspaceId: string, source: EventSource, events: IngestEvent[]): Promise<IngestedEvent[]> {
    const details: ErrorDetail[] = [];
    events.forEach((event, index) => {
      if (!CONTACT_ID.test(event.contactId))
        details.push({
          field: events.length > 1 ? `events[${index}].contactId` : 'contactId',
          issue: 'the contact id must be 1-128 characters of letters, digits and . _ : @ + -',
        });
    });
    if (details.length) throw HeraldError.validation(details);
    if (events.length === 0) return [];
    const now = this.clock.now();

    await this.db.transaction(async (manager) => {
      const contactIds = [...new Set(events.map((e) => e.contactId))].sort();
      await manager.query(
        `INSERT INTO contacts (id, workspace_id, external_id)
         SELECT x.id, $1, x.external_id FROM unnest($2::text[], $3::text[]) AS x(id, external_id)
         ON CONFLICT (workspace_id, external_id) DO NOTHING`,
        [workspaceId, contactIds.map(() => newId('ctc')), contactIds],
      );
      for (const event of events) {
        const info = event.contact;
        if (!info || Object.keys(info).length === 0) continue;
        await manager.query(
          `UPDATE contacts SET email = COALESCE($3, email), phone = COALESCE($4, phone),
                  timezone = COALESCE($5, timezone), locale = COALESCE($6, locale),
                  attributes = attributes || $7::jsonb, updated_at = now()
            WHERE workspace_id = $1 AND external_id = $2`,
          [
            workspaceId,
            event.contactId,
            info.email ?? null,
            info.phone ?? null,
            info.timezone ?? null,
            info.locale ?? null,
            JSON.stringify(info.attributes ?? {}),
          ],
        );
      }
    });

    const ids = events.map(() => newId('evt'));
    const inserted: { id: string }[] = await this.db.query(
      `INSERT INTO events (id, workspace_id, contact_id, name, kind, properties, occurred_at, received_at, source, dedup_key,
                           processed_at)
       SELECT x.id, $1, x.contact_id, x.name, x.kind, x.properties::jsonb, COALESCE(x.occurred_at, $2), $2, $3, x.dedup_key,
              CASE WHEN x.kind = 'identify' THEN $2::timestamptz END
         FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[])
              AS x(id, contact_id, name, kind, properties, occurred_at, dedup_key)
       ON CONFLICT (workspace_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [
        workspaceId,
        now.toISOString(),
        source,
        ids,
        events.map((e) => e.contactId),
        events.map((e) => e.event),
        events.map((e) => e.kind),
        events.map((e) => JSON.stringify(e.properties ?? {})),
        events.map((e) => e.timestamp ?? null),
        events.map((e) => e.id ?? null),
      ],
    );
    const fresh = new Set(inserted.map((row) => row.id));
    const results: IngestedEvent[] = ids.map((id) => ({ id, duplicate: !fresh.has(id) }));
    const duplicates = events.filter((_, index) => results[index].duplicate).map((e) => e.id!);
    if (duplicates.length) {
      // A replay answers with the id stored the first time.
      const earlier: { id: string; dedup_key: string }[] = await this.db.query(
        `SELECT id, dedup_key FROM events WHERE workspace_id = $1 AND dedup_key = ANY($2::text[])`,
        [workspaceId, duplicates],
      );
      const byKey = new Map(earlier.map((row) => [row.dedup_key, row.id]));
      results.forEach((result, index) => {
        if (result.duplicate) result.id = byKey.get(events[index].id!) ?? result.id;
      });
    }
    this.metrics.eventsIngested.inc({ source, duplicate: 'false' }, fresh.size);
    if (results.length > fresh.size)
      this.metrics.eventsIngested.inc({ source, duplicate: 'true' }, results.length - fresh.size);
    if (fresh.size > 0) for (const listener of this.listeners) listener();
    return results;
  }
}
