import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { returned } from '../database/sql.js';

/** Rows deleted per statement: each pass is short, and a large backlog is worked off over several minutes. */
const BATCH = 5000;

/**
 * Keeps the tables that grow with traffic bounded (workers only, any of them; each statement deletes a bounded
 * batch): evaluated events older than HERALD_EVENT_RETENTION, and delivered or failed callbacks older than
 * HERALD_CALLBACK_LOG_RETENTION. Count matches are pruned by the engine as it counts (trigger-engine.ts). Messages,
 * firings and their figures stay (reports and stats read them).
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  @Interval(60_000)
  async onSchedule(): Promise<void> {
    if (this.config.role === 'api') return;
    await this.prune(new Date()).catch((error: unknown) =>
      this.logger.warn({ error: error instanceof Error ? error.name : typeof error }, 'retention pass failed'),
    );
  }

  /**
   * One pass; returns how many rows of each table it deleted. Each statement reads only the oldest rows by primary
   * key (ids grow with time: UUIDv7 for events, an identity for callbacks), so a pass costs the same however large
   * the table is, and stops at the first rows still needed.
   */
  async prune(now: Date): Promise<{ events: number; callbacks: number }> {
    const events = await this.deleteBatch(
      `DELETE FROM events WHERE id IN (
         SELECT id FROM (SELECT id, processed_at, occurred_at, received_at FROM events ORDER BY id LIMIT ${BATCH}) oldest
          WHERE processed_at IS NOT NULL AND occurred_at < $1 AND received_at < $1) RETURNING 1`,
      new Date(+now - this.config.eventRetentionMs),
    );
    const callbacks = await this.deleteBatch(
      `DELETE FROM callback_outbox WHERE id IN (
         SELECT id FROM (SELECT id, state, changed_at FROM callback_outbox ORDER BY id LIMIT ${BATCH}) oldest
          WHERE state <> 'pending' AND changed_at < $1) RETURNING 1`,
      new Date(+now - this.config.callbackLogRetentionMs),
    );
    return { events, callbacks };
  }

  private async deleteBatch(sql: string, before: Date): Promise<number> {
    return returned<unknown>(await this.db.query(sql, [before])).length;
  }
}
