import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PlannedReport, SandboxStore } from '#libs/channels/src/index.js';
import type { Channel } from '#libs/core/src/index.js';

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

  async accept(attemptId: string, workspaceId: string, providerMessageId: string, reports: PlannedReport[]): Promise<void> {
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
    void workspaceId;
  }

  async find(attemptId: string): Promise<{ providerMessageId: string } | null> {
    const rows: { provider_message_id: string | null }[] = await this.db.query(
      `SELECT provider_message_id FROM sandbox_submissions WHERE attempt_id = $1`,
      [attemptId],
    );
    return rows[0]?.provider_message_id ? { providerMessageId: rows[0].provider_message_id } : null;
  }
}
