import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { returned } from '../database/sql.js';
import { SANDBOX_TEMPLATES, TemplateGateway } from './template-gateway.js';
import { TemplatesService } from './templates.service.js';

const SYNC_JOB = 'template-sync';

/**
 * The worker side of templates: the periodic pull from Meta, run by one worker of the fleet per interval
 * (a `scheduled_jobs` row is claimed with a conditional UPDATE, and the sync itself holds an advisory lock),
 * and, without WhatsApp credentials, the sandbox deciding pending templates.
 */
@Injectable()
export class TemplateJobsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TemplateJobsService.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly gateway: TemplateGateway,
    private readonly templates: TemplatesService,
  ) {}

  onModuleInit(): void {
    if (this.config.role === 'api' || this.gateway.unavailableReason) return;
    const sandbox = this.gateway.provider === SANDBOX_TEMPLATES;
    const every = sandbox
      ? Math.max(100, this.config.sandboxStepMs)
      : Math.min(5_000, this.config.templateSyncIntervalMs);
    this.timer = setInterval(() => void this.tick(sandbox), every);
    this.timer.unref();
  }

  private async tick(sandbox: boolean): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      if (sandbox) await this.templates.decideSandboxTemplates(this.config.sandboxStepMs);
      else if (await this.claimSyncTurn()) {
        const result = await this.templates.sync(null, false);
        if (result) {
          await this.db.query(`UPDATE scheduled_jobs SET last_result = $2 WHERE name = $1`, [
            SYNC_JOB,
            JSON.stringify({ syncedAt: result.syncedAt, checked: result.checked, changed: result.changes.length }),
          ]);
        }
      }
    } catch (error) {
      // Meta unreachable or the breaker open: the next interval tries again.
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'template job failed');
    } finally {
      this.running = false;
    }
  }

  /** True for the one worker that moves the job's next run past now. */
  private async claimSyncTurn(): Promise<boolean> {
    await this.db.query(
      `INSERT INTO scheduled_jobs (name, next_run_at) VALUES ($1, now()) ON CONFLICT (name) DO NOTHING`,
      [SYNC_JOB],
    );
    const rows = returned<{ name: string }>(
      await this.db.query(
        `UPDATE scheduled_jobs SET next_run_at = now() + $2 * interval '1 millisecond', last_run_at = now()
          WHERE name = $1 AND next_run_at <= now() RETURNING name`,
        [SYNC_JOB, this.config.templateSyncIntervalMs],
      ),
    );
    return rows.length > 0;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
