import type { Logger } from '@nestjs/common';

/**
 * The polling loop of a background worker (roles `all` and `worker`): `round()` claims and processes one batch and
 * says whether more may be waiting (then the next round starts at once); otherwise the lane sleeps `idleMs`, or until
 * `wake()`. A failed round is logged (class and message only) and retried after a second. `stop()` stops claiming
 * and waits, up to the grace period, for the rounds in flight.
 */
export class WorkerLoop {
  private running = false;
  private lanes: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private pendingWake = false;

  constructor(
    private readonly what: string,
    private readonly logger: Logger,
    private readonly round: () => Promise<boolean>,
    private readonly idleMs: number,
  ) {}

  start(lanes = 1): void {
    this.running = true;
    this.lanes = Array.from({ length: lanes }, () => this.run());
  }

  /** Something became due: idle lanes start a round now (or the next sleep is skipped). */
  wake(): void {
    this.pendingWake = true;
    for (const wake of [...this.sleepers]) wake();
  }

  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const wake of [...this.sleepers]) wake();
    const grace = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all(this.lanes), grace]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let more: boolean;
      try {
        more = await this.round();
      } catch (error) {
        this.logger.error(
          { error: error instanceof Error ? error.name : typeof error, code: (error as { code?: unknown })?.code },
          `${this.what} round failed`,
        );
        await this.sleep(1000);
        continue;
      }
      if (!more && this.running) await this.sleep(this.idleMs);
    }
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
}
