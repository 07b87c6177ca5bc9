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
import { MetricsService } from '../observability/metrics.service.js';
import { CallbackOutboxStore, type DueCallback } from './callback-outbox.store.js';
import { callbackBody } from './callback-payload.js';
import { CallbackSender, SEND_TIMEOUT_MS } from './callback-sender.js';
import { signCallback } from './callback-signature.js';
import { nextRetryAt } from './retry-schedule.js';

/** Callbacks claimed per round and lane; all of a round's are sent at once. */
const BATCH = 16;

/**
 * Delivers status callbacks from the outbox (roles `all` and `worker`): claims small batches with SKIP LOCKED,
 * sends them outside any transaction, and records each outcome as it comes. Two lanes, so one slow receiver
 * (up to the 10 s timeout) does not hold up everyone else's callbacks. Logs carry ids and status codes only.
 */
@Injectable()
export class CallbackWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CallbackWorkerService.name);
  private readonly sender: CallbackSender;
  private readonly loop: WorkerLoop;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly store: CallbackOutboxStore,
    private readonly metrics: MetricsService,
  ) {
    this.sender = new CallbackSender({ allowPrivate: config.allowPrivateCallbacks });
    this.loop = new WorkerLoop(
      'callback worker',
      this.logger,
      async () => (await this.tick()) === BATCH,
      config.pollIntervalMs,
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.role !== 'api') this.loop.start(2);
  }

  /** One claim-and-send round; returns how many callbacks it claimed. */
  async tick(): Promise<number> {
    // The lease outlasts the slowest try (the timeout, and the part of the answer that is read).
    const due = await this.store.claim(BATCH, Math.max(this.config.claimLeaseMs, 3 * SEND_TIMEOUT_MS));
    await Promise.all(due.map((callback) => this.deliver(callback)));
    return due.length;
  }

  private async deliver(callback: DueCallback): Promise<void> {
    const log = { callbackId: callback.id, messageId: callback.messageId, eventId: callback.eventId };
    if (!callback.url) {
      await this.store.record(callback, {
        state: 'failed',
        statusCode: null,
        error: 'ENDPOINT_REMOVED',
        retryAt: null,
      });
      this.metrics.callbacks.inc({ outcome: 'failed' });
      return;
    }
    const body = callbackBody(callback.eventId, callback.data, callback.changedAt);
    const outcome = await this.sender.post(callback.url, body, {
      'Herald-Signature': signCallback(callback.secret, body, Date.now() / 1000),
      'Herald-Event-Id': callback.eventId,
    });
    if (outcome.ok) {
      await this.store.record(callback, {
        state: 'delivered',
        statusCode: outcome.statusCode,
        error: null,
        retryAt: null,
      });
      this.metrics.callbacks.inc({ outcome: 'delivered' });
      this.logger.debug({ ...log, statusCode: outcome.statusCode, tries: callback.tries }, 'callback delivered');
      return;
    }
    const retryAt = outcome.permanent
      ? null
      : nextRetryAt(
          callback.tries,
          callback.changedAt,
          new Date(),
          this.config.callbackRetryBaseMs,
          this.config.callbackRetryWindowMs,
        );
    await this.store.record(callback, {
      state: retryAt ? 'pending' : 'failed',
      statusCode: outcome.statusCode,
      error: outcome.error,
      retryAt,
    });
    this.metrics.callbacks.inc({ outcome: retryAt ? 'retry' : 'failed' });
    const detail = { ...log, statusCode: outcome.statusCode, error: outcome.error, tries: callback.tries };
    if (retryAt) this.logger.debug(detail, 'callback try failed; will retry');
    else this.logger.warn(detail, 'callback given up');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop(this.config.shutdownGraceMs);
    this.sender.close();
  }
}
