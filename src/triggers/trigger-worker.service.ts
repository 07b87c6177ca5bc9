import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { WorkerLoop } from '../common/worker-loop.js';
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
  private readonly loop: WorkerLoop;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly engine: TriggerEngine,
    private readonly runner: FiringRunner,
    private readonly broadcasts: BroadcastsService,
    ingest: EventIngestService,
  ) {
    this.loop = new WorkerLoop('trigger worker', new Logger(TriggerWorkerService.name), () => this.round(), IDLE_MS);
    ingest.onIngested(() => this.loop.wake());
  }

  onApplicationBootstrap(): void {
    if (this.config.role !== 'api') this.loop.start();
  }

  /** Evaluate new events, expand due broadcasts, run due firings; true when any of them found work. */
  private async round(): Promise<boolean> {
    const evaluated = await this.engine.processEvents();
    const expanded = await this.broadcasts.expandDue();
    const fired = await this.runner.runDue();
    return evaluated > 0 || expanded >= 0 || fired > 0;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop(this.config.shutdownGraceMs);
  }
}
