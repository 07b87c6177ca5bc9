import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelSendError, SANDBOX_PROVIDER, type ChannelError } from '#libs/channels/src/index.js';
import { ChannelRegistry } from '../channels/channel-registry.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { MetricsService } from '../observability/metrics.service.js';
import { RateCardService } from '../pricing/rate-card.service.js';
import { Changes } from './changes.js';
import { decide, recordSend, type RuleContext, type SendOutcome, type Submission } from './dispatch-rules.js';
import { DispatchStore, type MessageKey } from './dispatch.store.js';
import { StatusIngestService } from './status-ingest.service.js';

/**
 * Runs one dispatcher step for a batch of claimed messages, in three phases: decide under the messages' row
 * locks (one transaction, bulk writes), call the providers outside any transaction, record the answers under
 * the locks again. An attempt is committed as in flight before its provider call, so a crash in between is
 * recognised later and never produces a second submission.
 */
@Injectable()
export class MessageProcessor {
  private readonly logger = new Logger(MessageProcessor.name);
  /** Set by the dispatcher: work became due now. */
  wake?: () => void;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly store: DispatchStore,
    private readonly registry: ChannelRegistry,
    private readonly ingest: StatusIngestService,
    private readonly metrics: MetricsService,
    private readonly rateCards: RateCardService,
  ) {}

  private context(): RuleContext {
    return {
      now: new Date(),
      available: this.registry.available(),
      providerName: (channel) => this.registry.provider(channel)?.name ?? 'none',
      retryBaseMs: this.config.retryBaseMs,
    };
  }

  async processBatch(keys: MessageKey[]): Promise<void> {
    const submissions = await this.db.transaction(async (manager) => {
      const messages = await this.store.lockMany(manager, keys);
      const ctx = this.context();
      const changes = new Changes();
      const due: Submission[] = [];
      for (const message of messages.values()) {
        const submission = decide(message, ctx, changes);
        if (submission) due.push(submission);
      }
      await this.store.apply(manager, changes);
      this.metrics.record(changes);
      return due;
    });
    if (!submissions.length) return;

    const contents = await this.store.contents(
      this.db.manager,
      submissions.map((s) => ({ id: s.messageId, workspaceId: s.workspaceId, channel: s.channel })),
    );
    const outcomes = new Map<string, SendOutcome>();
    const queue = [...submissions];
    await Promise.all(
      Array.from({ length: Math.min(this.config.dispatchConcurrency, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift())
          outcomes.set(
            next.attemptId,
            await this.call(next, contents.get(next.messageId) ?? { content: {}, validUntil: undefined }),
          );
      }),
    );

    // Only real providers charge: a batch that went to the sandbox alone needs no rate card.
    const billed = submissions.filter((s) => this.registry.provider(s.channel)?.name !== SANDBOX_PROVIDER);
    const price = await this.rateCards.pricer(billed.map((s) => s.workspaceId));
    const wake = await this.db.transaction(async (manager) => {
      const messages = await this.store.lockMany(
        manager,
        submissions.map((s) => ({ id: s.messageId, workspaceId: s.workspaceId })),
      );
      const ctx = { ...this.context(), price };
      const changes = new Changes();
      let dueNow = false;
      const submitted: { provider: string; providerMessageId: string }[] = [];
      for (const submission of submissions) {
        const message = messages.get(submission.messageId);
        const outcome = outcomes.get(submission.attemptId)!;
        if (!message) continue;
        dueNow = recordSend(message, submission, outcome, ctx, changes) || dueNow;
        if ('result' in outcome)
          submitted.push({
            provider: ctx.providerName(submission.channel),
            providerMessageId: outcome.result.providerMessageId,
          });
      }
      // Reports that outran this commit (a fast webhook) are applied now, in the same transaction.
      const early = await this.store.takeUnmatched(manager, submitted);
      if (early.length) dueNow = this.ingest.applyAll(messages, early, changes, price) || dueNow;
      await this.store.apply(manager, changes);
      this.metrics.record(changes);
      return dueNow;
    });
    if (wake) this.wake?.();
  }

  private async call(
    submission: Submission,
    { content, validUntil }: { content: Record<string, unknown>; validUntil: Date | undefined },
  ): Promise<SendOutcome> {
    const provider = this.registry.provider(submission.channel);
    try {
      if (submission.recovering) {
        if (!provider?.lookup) {
          // Without a way to ask the provider, resending could deliver twice: at most once wins.
          return {
            error: {
              kind: 'UNKNOWN',
              code: 'OUTCOME_UNKNOWN',
              message: 'Interrupted during submission; not resent to avoid a duplicate',
              permanent: true,
            },
          };
        }
        const found = await provider.lookup(submission.attemptId);
        if (found) return { result: found };
      }
      const result = await this.registry.send({
        attemptId: submission.attemptId,
        workspaceId: submission.workspaceId,
        channel: submission.channel,
        address: submission.address,
        content,
        validUntil,
      });
      return { result };
    } catch (caught) {
      if (caught instanceof ChannelSendError) return { error: caught.error };
      this.logger.warn({ err: caught, messageId: submission.messageId }, 'provider call failed');
      const error: ChannelError = {
        kind: 'UNKNOWN',
        code: 'PROVIDER_ERROR',
        message: 'Provider call failed',
        permanent: false,
      };
      return { error };
    }
  }
}
