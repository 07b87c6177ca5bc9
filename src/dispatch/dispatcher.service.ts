import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
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
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private pendingWake = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly store: DispatchStore,
    private readonly processor: MessageProcessor,
    writer: MessageWriter,
    ingest: StatusIngestService,
  ) {
    writer.onCommitted(() => this.nudge());
    ingest.onWake(() => this.nudge());
    processor.wake = () => this.nudge();
  }

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    this.running = true;
    // Two lanes: while one waits on providers, the other claims and decides (SKIP LOCKED keeps them apart).
    this.loops = [this.run(), this.run()];
  }

  nudge(): void {
    this.pendingWake = true;
    for (const wake of [...this.sleepers]) wake();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed: number;
      try {
        claimed = await this.tick();
      } catch (error) {
        this.logger.error({ err: error }, 'dispatch tick failed');
        await this.sleep(1000);
        continue;
      }
      if (claimed < this.config.dispatchBatchSize && this.running) await this.sleep(this.config.pollIntervalMs);
    }
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

  private sleep(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        this.pendingWake = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const wake of [...this.sleepers]) wake();
    const grace = new Promise((resolve) => setTimeout(resolve, this.config.shutdownGraceMs).unref());
    await Promise.race([Promise.all(this.loops), grace]);
  }
}
