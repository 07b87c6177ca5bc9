import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { EventIngestService } from '../events/event-ingest.service.js';
import { BroadcastsService } from './broadcasts/broadcasts.service.js';
import { FiringRunner } from './firing-runner.js';
import { TriggerEngine } from './trigger-engine.js';

/** Idle workers look for due timers this often, so a firing goes out at most this late (resolution ≤ 1 s). */
const IDLE_MS = 250;

/**
 * The worker loop of the triggers module (roles `all` and `worker`): evaluate new events, run due firings,
 * expand due broadcasts. All three claim their rows with SKIP LOCKED, so any number of workers share them;
 * events ingested by this process wake it at once.
 */
@Injectable()
export class TriggerWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TriggerWorkerService.name);
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly engine: TriggerEngine,
    private readonly runner: FiringRunner,
    private readonly broadcasts: BroadcastsService,
    ingest: EventIngestService,
  ) {
    ingest.onIngested(() => this.wake?.());
  }

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let busy = false;
      try {
        busy = (await this.engine.processEvents()) > 0;
        busy = (await this.broadcasts.expandDue()) >= 0 || busy;
        busy = (await this.runner.runDue()) > 0 || busy;
      } catch (error) {
        this.logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'trigger worker round failed',
        );
      }
      if (!busy && this.running) await this.sleep(IDLE_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    const grace = new Promise((resolve) => setTimeout(resolve, this.config.shutdownGraceMs).unref());
    await Promise.race([this.loop, grace]);
  }
}
