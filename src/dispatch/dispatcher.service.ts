import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WorkerLoop } from '../common/worker-loop.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { MessageWriter } from '../messages/message-writer.js';
import { DispatchStore } from './dispatch.store.js';
import { MessageProcessor } from './message-processor.js';
import { StatusIngestService } from './status-ingest.service.js';

/**
 * The worker loop: claims due messages in batches (FOR UPDATE SKIP LOCKED, so any number of workers share
 * the table) and runs each through the MessageProcessor with bounded concurrency. It sleeps for the poll
 * interval when idle, and wakes at once when this process accepts a message or a report makes one due.
 * On shutdown it stops claiming, finishes what is in flight, and gives back what it had not started.
 */
@Injectable()
export class DispatcherService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DispatcherService.name);
  private readonly loop: WorkerLoop;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly store: DispatchStore,
    private readonly processor: MessageProcessor,
    writer: MessageWriter,
    ingest: StatusIngestService,
  ) {
    this.loop = new WorkerLoop(
      'dispatch',
      this.logger,
      async () => (await this.tick()) >= config.dispatchBatchSize,
      config.pollIntervalMs,
    );
    writer.onCommitted(() => this.nudge());
    ingest.onWake(() => this.nudge());
    processor.wake = () => this.nudge();
  }

  onApplicationBootstrap(): void {
    // Two lanes: while one waits on providers, the other claims and decides (SKIP LOCKED keeps them apart).
    if (this.config.role !== 'api') this.loop.start(2);
  }

  nudge(): void {
    this.loop.wake();
  }

  /** One claim-and-process round; returns how many messages it claimed. */
  async tick(): Promise<number> {
    const claimed = await this.store.claim(this.db.manager, this.config.dispatchBatchSize, this.config.claimLeaseMs);
    if (claimed.length === 0) return 0;
    try {
      await this.processor.processBatch(claimed);
    } catch (error) {
      // The claim's lease runs out and the messages are picked up again.
      this.logger.error({ err: error, messages: claimed.length }, 'dispatch batch failed');
    }
    return claimed.length;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop(this.config.shutdownGraceMs);
  }
}
