import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { FirstAcceptanceAnswer, PlannedReport, SandboxStore } from '#libs/channels/src/index.js';
import type { Channel } from '#libs/core/src/index.js';
import { GroupCommit } from '../database/group-commit.js';

interface FirstAcceptance {
  attemptId: string;
  workspaceId: string;
  channel: Channel;
  providerMessageId: string;
  reports: PlannedReport[];
}

/** The sandbox provider's records in PostgreSQL (it keeps no recipient address, only outcomes). */
@Injectable()
export class PgSandboxStore implements SandboxStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async recordCall(attemptId: string, workspaceId: string, channel: Channel) {
    const rows: { calls: number; provider_message_id: string | null }[] = await this.db.query(
      `INSERT INTO sandbox_submissions (attempt_id, workspace_id, channel) VALUES ($1, $2, $3)
       ON CONFLICT (attempt_id) DO UPDATE SET calls = sandbox_submissions.calls + 1
       RETURNING calls, provider_message_id`,
      [attemptId, workspaceId, channel],
    );
    return { call: rows[0].calls, providerMessageId: rows[0].provider_message_id };
  }

  async accept(
    attemptId: string,
    _workspaceId: string,
    providerMessageId: string,
    reports: PlannedReport[],
  ): Promise<void> {
    await this.db.query(
      `WITH s AS (
         UPDATE sandbox_submissions SET accepted = accepted + 1, provider_message_id = $2
          WHERE attempt_id = $1 RETURNING workspace_id, channel)
       INSERT INTO sandbox_reports (workspace_id, provider_message_id, channel, status, error, due_at)
       SELECT s.workspace_id, $2, s.channel, r.status, r.error::jsonb, clock_timestamp() + r.after_ms * interval '1 millisecond'
         FROM s, unnest($3::text[], $4::text[], $5::int[]) AS r(status, error, after_ms)`,
      [
        attemptId,
        providerMessageId,
        reports.map((r) => r.status),
        reports.map((r) => (r.error ? JSON.stringify(r.error) : null)),
        reports.map((r) => r.afterMs),
      ],
    );
  }

  /** First acceptances of many concurrent sends share one statement (group commit). */
  private readonly firstAcceptances = new GroupCommit<FirstAcceptance, FirstAcceptanceAnswer>(
    (items) => this.acceptFirstMany(items),
    500,
    2,
  );

  acceptFirst(
    attemptId: string,
    workspaceId: string,
    channel: Channel,
    providerMessageId: string,
    reports: PlannedReport[],
  ) {
    return this.firstAcceptances.submit({ attemptId, workspaceId, channel, providerMessageId, reports });
  }

  private async acceptFirstMany(items: FirstAcceptance[]): Promise<FirstAcceptanceAnswer[]> {
    // Two calls for one attempt in the same batch: the first wins, the second counts as a repeat.
    const unique = new Map<string, FirstAcceptance>();
    for (const item of items) if (!unique.has(item.attemptId)) unique.set(item.attemptId, item);
    const rows = [...unique.values()];
    const reports = rows.flatMap((row) => row.reports.map((report) => ({ row, report })));
    const answered: { attempt_id: string; calls: number; provider_message_id: string | null; first: boolean }[] =
      await this.db.query(
        `WITH s AS (
         INSERT INTO sandbox_submissions (attempt_id, workspace_id, channel, accepted, provider_message_id)
         SELECT a, w, c, 1, p FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(a, w, c, p)
         ON CONFLICT (attempt_id) DO UPDATE SET calls = sandbox_submissions.calls + 1
         RETURNING attempt_id, calls, provider_message_id, (xmax = 0) AS first
       ), r AS (
         INSERT INTO sandbox_reports (workspace_id, provider_message_id, channel, status, error, due_at)
         SELECT x.workspace_id, x.provider_message_id, x.channel, x.status, x.error::jsonb,
                clock_timestamp() + x.after_ms * interval '1 millisecond'
           FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[])
                  AS x(attempt_id, workspace_id, provider_message_id, channel, status, error, after_ms)
           JOIN s ON s.attempt_id = x.attempt_id AND s.first
       )
       SELECT attempt_id, calls, provider_message_id, first FROM s`,
        [
          rows.map((r) => r.attemptId),
          rows.map((r) => r.workspaceId),
          rows.map((r) => r.channel),
          rows.map((r) => r.providerMessageId),
          reports.map((x) => x.row.attemptId),
          reports.map((x) => x.row.workspaceId),
          reports.map((x) => x.row.providerMessageId),
          reports.map((x) => x.row.channel),
          reports.map((x) => x.report.status),
          reports.map((x) => (x.report.error ? JSON.stringify(x.report.error) : null)),
          reports.map((x) => x.report.afterMs),
        ],
      );
    const byAttempt = new Map(answered.map((row) => [row.attempt_id, row]));
    return items.map((item) => {
      const row = byAttempt.get(item.attemptId)!;
      if (row.first && unique.get(item.attemptId) === item) return { first: true as const };
      return {
        first: false as const,
        call: row.calls + (row.first ? 1 : 0),
        providerMessageId: row.provider_message_id,
      };
    });
  }

  async find(attemptId: string): Promise<{ providerMessageId: string } | null> {
    const rows: { provider_message_id: string | null }[] = await this.db.query(
      `SELECT provider_message_id FROM sandbox_submissions WHERE attempt_id = $1`,
      [attemptId],
    );
    return rows[0]?.provider_message_id ? { providerMessageId: rows[0].provider_message_id } : null;
  }
}
