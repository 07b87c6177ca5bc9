import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SANDBOX_PROVIDER, type StatusReport } from '#libs/channels/src/index.js';
import { MetricsService } from '../observability/metrics.service.js';
import { RateCardService, type PriceAttempt } from '../pricing/rate-card.service.js';
import { Changes } from './changes.js';
import { applyReport, type ReportOutcome } from './dispatch-rules.js';
import { DispatchStore } from './dispatch.store.js';
import type { DispatchMessage } from './dispatch.types.js';

export type IngestOutcome = ReportOutcome;

const refKey = (provider: string, providerMessageId: string): string => `${provider}\u0000${providerMessageId}`;

/**
 * Applies providers' delivery reports to attempts and messages. Real webhooks and the sandbox both come
 * through here; a batch of reports is applied in one transaction with bulk writes. A report whose attempt
 * is not known (yet) is kept and applied when the attempt's provider id is recorded.
 */
@Injectable()
export class StatusIngestService {
  private readonly wakeListeners: (() => void)[] = [];

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly store: DispatchStore,
    private readonly metrics: MetricsService,
    private readonly rateCards: RateCardService,
  ) {}

  /** The dispatcher subscribes, so a failure moves the cascade on at once. */
  onWake(listener: () => void): void {
    this.wakeListeners.push(listener);
  }

  async ingest(report: StatusReport): Promise<IngestOutcome> {
    return (await this.ingestMany([report]))[0];
  }

  /**
   * Applies reports in order; answers one outcome per report. Unmatched reports are kept for later unless
   * the caller keeps them itself (`keepUnmatched: false`, the sandbox, which simply replays them).
   * `workspaceId` limits the reports to that workspace's attempts (reports posted with a workspace key).
   */
  async ingestMany(
    reports: StatusReport[],
    options: { keepUnmatched?: boolean; workspaceId?: string } = {},
  ): Promise<IngestOutcome[]> {
    if (!reports.length) return [];
    let wake = false;
    const outcomes = await this.db.transaction(async (manager) => {
      const found = await this.store.attemptsByProviderId(manager, reports, options.workspaceId ?? null);
      const keys = new Map(
        [...found.values()].map((f) => [f.messageId, { id: f.messageId, workspaceId: f.workspaceId }]),
      );
      const messages = await this.store.lockMany(manager, [...keys.values()]);
      // Sandbox reports carry their own (zero) cost: only batches with real providers' reports read rate cards.
      const billed = reports.some((r) => r.provider !== SANDBOX_PROVIDER)
        ? [...keys.values()].map((k) => k.workspaceId)
        : [];
      const price = await this.rateCards.pricer(billed);
      const changes = new Changes();
      const unmatched: StatusReport[] = [];
      const result: IngestOutcome[] = reports.map((report) => {
        const ref = found.get(refKey(report.provider, report.providerMessageId));
        const message = ref && messages.get(ref.messageId);
        const attempt = message?.attempts.find((a) => a.id === ref!.attemptId);
        if (!message || !attempt) {
          unmatched.push(report);
          return 'unmatched';
        }
        const applied = applyReport(message, attempt, report, changes, price);
        wake = applied.wake || wake;
        return applied.outcome;
      });
      if (options.keepUnmatched !== false) await this.store.keepUnmatched(manager, unmatched);
      await this.store.apply(manager, changes);
      this.metrics.record(changes);
      return result;
    });
    if (wake) for (const listener of this.wakeListeners) listener();
    return outcomes;
  }

  /** Applies reports to messages already locked by the caller's transaction; returns whether one is due now. */
  applyAll(
    messages: Map<string, DispatchMessage>,
    reports: StatusReport[],
    changes: Changes,
    price?: PriceAttempt,
  ): boolean {
    let wake = false;
    for (const report of reports) {
      for (const message of messages.values()) {
        const attempt = message.attempts.find(
          (a) => a.provider === report.provider && a.providerMessageId === report.providerMessageId,
        );
        if (attempt) {
          wake = applyReport(message, attempt, report, changes, price).wake || wake;
          break;
        }
      }
    }
    return wake;
  }
}
