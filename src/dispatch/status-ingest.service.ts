import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { StatusReport } from '#libs/channels/src/index.js';
import {
  canMoveAttempt,
  canMoveMessage,
  isAttemptFailure,
  isFinalMessageStatus,
  reaches,
  type AttemptStatus,
  type MessageStatus,
} from '#libs/core/src/index.js';
import { MetricsService } from '../observability/metrics.service.js';
import { DispatchStore } from './dispatch.store.js';
import type { DispatchMessage } from './dispatch.types.js';
import { returned } from '../database/sql.js';

export type IngestOutcome = 'applied' | 'ignored' | 'unmatched';

const TIMESTAMP_COLUMN: Partial<Record<AttemptStatus, string>> = {
  sent: 'sent_at',
  delivered: 'delivered_at',
  read: 'read_at',
  failed: 'failed_at',
  undelivered: 'failed_at',
  expired: 'failed_at',
};

/**
 * Applies a provider's delivery report to its attempt and message. Real webhooks and the sandbox both come
 * through here. Statuses only move forward; a success of an earlier attempt after the cascade moved on is
 * recorded on that attempt and stops the cascade, never causing another send.
 */
@Injectable()
export class StatusIngestService {
  private readonly logger = new Logger(StatusIngestService.name);
  private readonly wakeListeners: (() => void)[] = [];

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly store: DispatchStore,
    private readonly metrics: MetricsService,
  ) {}

  /** The dispatcher subscribes, so a failure moves the cascade on at once. */
  onWake(listener: () => void): void {
    this.wakeListeners.push(listener);
  }

  async ingest(report: StatusReport): Promise<IngestOutcome> {
    let wake = false;
    const outcome = await this.db.transaction(async (manager) => {
      const found: { id: string; message_id: string; workspace_id: string }[] = await manager.query(
        `SELECT id, message_id, workspace_id FROM attempts WHERE provider = $1 AND provider_message_id = $2`,
        [report.provider, report.providerMessageId],
      );
      if (found.length === 0) {
        await manager.query(`INSERT INTO unmatched_reports (provider, provider_message_id, report) VALUES ($1, $2, $3)`, [
          report.provider,
          report.providerMessageId,
          JSON.stringify(report),
        ]);
        return 'unmatched' as const;
      }
      const message = await this.store.lock(manager, found[0].workspace_id, found[0].message_id);
      if (!message) return 'ignored' as const;
      const result = await this.apply(manager, message, found[0].id, report);
      wake = result.wake;
      return result.outcome;
    });
    if (wake) for (const listener of this.wakeListeners) listener();
    return outcome;
  }

  /** Applies reports that arrived before the attempt's provider id was recorded (inside the caller's transaction). */
  async applyUnmatched(manager: EntityManager, message: DispatchMessage, attemptId: string, provider: string, providerMessageId: string): Promise<boolean> {
    const rows = returned<{ id: string; report: StatusReport }>(await manager.query(
      `DELETE FROM unmatched_reports WHERE provider = $1 AND provider_message_id = $2 RETURNING id, report`,
      [provider, providerMessageId],
    ));
    let wake = false;
    for (const row of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
      const report = { ...row.report, at: new Date(row.report.at) };
      const fresh = (await this.store.lock(manager, message.workspaceId, message.id))!;
      wake = (await this.apply(manager, fresh, attemptId, report)).wake || wake;
    }
    return wake;
  }

  private async apply(
    manager: EntityManager,
    message: DispatchMessage,
    attemptId: string,
    report: StatusReport,
  ): Promise<{ outcome: IngestOutcome; wake: boolean }> {
    const attempt = message.attempts.find((a) => a.id === attemptId)!;
    if (!canMoveAttempt(attempt.status, report.status)) {
      if (attempt.status !== report.status) {
        await this.store.addEvents(manager, message.workspaceId, message.id, [
          { type: 'report.ignored', channel: attempt.channel, attemptId, detail: `${report.status} after ${attempt.status}: statuses only move forward` },
        ]);
      }
      return { outcome: 'ignored', wake: false };
    }
    const column = TIMESTAMP_COLUMN[report.status];
    await manager.query(
      `UPDATE attempts SET status = $3, ${column} = COALESCE(${column}, $4), error = COALESCE($5::jsonb, error),
              segments = COALESCE($6, segments), cost_amount = COALESCE($7, cost_amount), cost_currency = COALESCE($8, cost_currency),
              raw = COALESCE($9::jsonb, raw), updated_at = now()
        WHERE id = $1 AND workspace_id = $2`,
      [
        attemptId,
        message.workspaceId,
        report.status,
        report.at.toISOString(),
        report.error ? JSON.stringify(report.error) : null,
        report.segments ?? null,
        report.cost?.amount ?? null,
        report.cost?.currency ?? null,
        report.raw === undefined ? null : JSON.stringify(report.raw),
      ],
    );
    this.metrics.attempts.inc({ channel: attempt.channel, status: report.status });
    const events = [
      {
        type: `attempt.${report.status}`,
        channel: attempt.channel,
        attemptId,
        detail: report.error ? `${report.error.code}: ${report.error.message}` : `${attempt.channel} ${report.status}`,
        data: report.error ? { error: report.error } : undefined,
      },
    ];

    const isLast = message.attempts.at(-1)?.id === attemptId;
    let wake = false;
    if (!isFinalMessageStatus(message.status)) {
      if (isAttemptFailure(report.status)) {
        if (isLast) {
          // The planner decides what comes next, in the dispatcher.
          await this.store.updateMessage(manager, message.workspaceId, message.id, { dueAt: 'now' });
          wake = true;
        }
      } else {
        const next = report.status as MessageStatus;
        const moveStatus = canMoveMessage(message.status, next);
        const succeeded = reaches(report.status, message.successOn);
        // Includes this attempt's own earlier status: delivered then read completes the cascade once, not twice.
        const alreadyDone = message.attempts.some((a) => reaches(a.status, message.successOn));
        if (succeeded && !alreadyDone) {
          if (!isLast) {
            events.push({
              type: 'cascade.late_success',
              channel: attempt.channel,
              attemptId,
              detail: `${attempt.channel} reached ${report.status} after the cascade moved on; no further sends`,
              data: undefined,
            });
          }
          await this.store.endQueuedAttempts(manager, message.workspaceId, message.id, 'skipped', {
            kind: 'UNKNOWN',
            code: 'SUPERSEDED',
            message: `${attempt.channel} already reached ${report.status}`,
            permanent: true,
          });
          await this.store.updateMessage(manager, message.workspaceId, message.id, {
            status: moveStatus ? next : undefined,
            channel: attempt.channel,
            dueAt: null,
          });
          events.push({ type: 'cascade.completed', channel: attempt.channel, attemptId, detail: `${attempt.channel} reached ${message.successOn}`, data: undefined });
        } else if (moveStatus) {
          await manager.query(`UPDATE messages SET status = $3, updated_at = now() WHERE id = $1 AND workspace_id = $2`, [
            message.id,
            message.workspaceId,
            next,
          ]);
        }
        if (moveStatus) events.push({ type: `message.${next}`, channel: attempt.channel, attemptId, detail: `via ${attempt.channel}`, data: undefined });
      }
    }
    await this.store.addEvents(manager, message.workspaceId, message.id, events);
    return { outcome: 'applied', wake };
  }
}
