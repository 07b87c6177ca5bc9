import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { scopedWhere } from '../database/sql.js';

export interface EventView {
  id: string;
  contactId: string;
  event: string;
  kind: string;
  properties: Record<string, unknown>;
  timestamp: string;
  receivedAt: string;
  source: string;
  /** De-duplication key given by the source (`id`, Segment messageId, Shopify webhook id). */
  sourceId: string | null;
  /** When the trigger engine evaluated it (null: not yet), and the error if evaluation failed. */
  processedAt: string | null;
  error: string | null;
}

/** A row of `events`; the trigger engine reads the same table. */
export interface EventRow {
  id: string;
  workspace_id: string;
  contact_id: string;
  name: string;
  kind: string;
  properties: Record<string, unknown>;
  occurred_at: Date;
  received_at: Date;
  source: string;
  dedup_key: string | null;
  processed_at: Date | null;
  process_error: string | null;
}

/** GET /v1/events: what Herald received, newest first, to see why a rule did or did not fire. */
@Injectable()
export class EventsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(
    workspaceId: string,
    filter: { contactId?: string; event?: string; before?: string; limit: number },
  ): Promise<EventView[]> {
    const where = scopedWhere(workspaceId);
    if (filter.contactId) where.add('contact_id = ?', filter.contactId);
    if (filter.event) where.add('name = ?', filter.event);
    if (filter.before) where.add('id < ?', filter.before);
    const rows: EventRow[] = await this.db.query(
      `SELECT * FROM events WHERE ${where.sql} ORDER BY id DESC LIMIT ${where.param(filter.limit)}`,
      where.params,
    );
    return rows.map((r) => ({
      id: r.id,
      contactId: r.contact_id,
      event: r.name,
      kind: r.kind,
      properties: r.properties,
      timestamp: new Date(r.occurred_at).toISOString(),
      receivedAt: new Date(r.received_at).toISOString(),
      source: r.source,
      sourceId: r.dedup_key,
      processedAt: r.processed_at ? new Date(r.processed_at).toISOString() : null,
      error: r.process_error,
    }));
  }
}
