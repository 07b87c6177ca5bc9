import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { StatusReport } from '#libs/channels/src/index.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { StatusIngestService } from './status-ingest.service.js';
import { returned } from '../database/sql.js';

/** Housekeeping that any worker may do; each job is a single bounded statement or a small batch. */
@Injectable()
export class MaintenanceService {
  private readonly logger = new Logger(MaintenanceService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly ingest: StatusIngestService,
  ) {}

  /** Idempotency keys are honoured for 24 h; after that the key may be used again. */
  @Interval(60_000)
  async forgetIdempotencyKeys(): Promise<void> {
    if (this.config.role === 'api') return;
    await this.db
      .query(
        `UPDATE messages SET idempotency_key = NULL
          WHERE id IN (SELECT id FROM messages WHERE idempotency_key IS NOT NULL AND created_at < now() - interval '24 hours' LIMIT 5000)`,
      )
      .catch((error: unknown) => this.logger.warn({ err: error }, 'idempotency cleanup failed'));
  }

  /** A report can lose the race with the commit of its attempt's provider id; retry those that now match. */
  @Interval(5_000)
  async retryUnmatchedReports(): Promise<void> {
    if (this.config.role === 'api') return;
    try {
      const rows = returned<{ id: string; report: StatusReport }>(
        await this.db.query(
          `DELETE FROM unmatched_reports u WHERE u.id IN (
           SELECT u2.id FROM unmatched_reports u2
            WHERE EXISTS (SELECT 1 FROM attempts a WHERE a.provider = u2.provider AND a.provider_message_id = u2.provider_message_id)
            ORDER BY u2.id LIMIT 500 FOR UPDATE SKIP LOCKED)
         RETURNING u.id, u.report`,
        ),
      );
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      await this.ingest.ingestMany(rows.map((row) => ({ ...row.report, at: new Date(row.report.at) })));
    } catch (error) {
      this.logger.warn({ err: error }, 'unmatched report retry failed');
    }
  }
}
