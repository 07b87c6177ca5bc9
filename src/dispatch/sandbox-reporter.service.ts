import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SANDBOX_PROVIDER, type ChannelError, type StatusReport } from '#libs/channels/src/index.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { StatusIngestService } from './status-ingest.service.js';
import { returned } from '../database/sql.js';

const BATCH = 500;
const TICK_MS = 50;
const UNMATCHED_RETRY_MS = 200;

/**
 * Plays back the sandbox's delivery reports when they fall due, through the same ingestion path as real
 * webhooks. Reports are claimed with a lease, so a crashed worker's reports are delivered by another.
 */
@Injectable()
export class SandboxReporterService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SandboxReporterService.name);
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<unknown> | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly ingest: StatusIngestService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.role === 'api' || !this.config.sandbox) return;
    this.timer = setInterval(() => {
      if (!this.busy) this.busy = this.deliverDue().finally(() => (this.busy = null));
    }, TICK_MS);
  }

  async deliverDue(): Promise<number> {
    try {
      const rows = returned<{
        id: string;
        provider_message_id: string;
        status: StatusReport['status'];
        error: ChannelError | null;
      }>(
        await this.db.query(
          `UPDATE sandbox_reports r SET due_at = now() + interval '30 seconds'
             FROM (SELECT id FROM sandbox_reports WHERE due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) c
            WHERE r.id = c.id
            RETURNING r.id, r.provider_message_id, r.status, r.error, r.due_at`,
          [BATCH],
        ),
      );
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      const outcomes = await this.ingest.ingestMany(
        rows.map((row) => ({
          provider: SANDBOX_PROVIDER,
          providerMessageId: row.provider_message_id,
          status: row.status,
          at: new Date(),
          error: row.error ?? undefined,
          segments: row.status === 'delivered' ? 1 : undefined,
          cost: row.status === 'delivered' ? { amount: '0', currency: 'USD' } : undefined,
        })),
        // A report can outrun the commit of its attempt's provider id; the sandbox replays it shortly.
        { keepUnmatched: false },
      );
      const done = rows.filter((_, i) => outcomes[i] !== 'unmatched').map((row) => row.id);
      const later = rows.filter((_, i) => outcomes[i] === 'unmatched').map((row) => row.id);
      if (done.length) await this.db.query(`DELETE FROM sandbox_reports WHERE id = ANY($1::bigint[])`, [done]);
      if (later.length) {
        await this.db.query(
          `UPDATE sandbox_reports SET due_at = now() + $2 * interval '1 millisecond' WHERE id = ANY($1::bigint[])`,
          [later, UNMATCHED_RETRY_MS],
        );
      }
      return rows.length;
    } catch (error) {
      this.logger.error({ err: error }, 'sandbox report delivery failed');
      return 0;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
  }
}
