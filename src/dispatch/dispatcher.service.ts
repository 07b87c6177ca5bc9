import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
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
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private pendingWake = false;
  private waiting: string[] = [];

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
    this.loop = this.run();
  }

  nudge(): void {
    this.pendingWake = true;
    this.wakeUp?.();
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
    this.waiting = claimed.map((c) => c.id);
    const queue = [...claimed];
    const workers = Array.from({ length: Math.min(this.config.dispatchConcurrency, queue.length) }, async () => {
      for (let next = queue.shift(); next && this.running; next = queue.shift()) {
        this.waiting = this.waiting.filter((id) => id !== next!.id);
        try {
          await this.processor.process(next.workspaceId, next.id);
        } catch (error) {
          // The claim's lease runs out and the message is picked up again.
          this.logger.error({ err: error, messageId: next.id }, 'message step failed');
        }
      }
    });
    await Promise.all(workers);
    if (this.waiting.length) {
      await this.store.release(this.db.manager, this.waiting);
      this.waiting = [];
    }
    return claimed.length;
  }

  private sleep(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        this.pendingWake = false;
        done();
      };
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp?.();
    const grace = new Promise((resolve) => setTimeout(resolve, this.config.shutdownGraceMs).unref());
    await Promise.race([this.loop, grace]);
  }
}
