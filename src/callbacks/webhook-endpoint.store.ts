import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CallbackOutboxStore } from './callback-outbox.store.js';

export interface WebhookEndpointView {
  url: string | null;
  secret: string;
  createdAt: string | null;
  updatedAt: string | null;
}

const iso = (value: Date | string | null | undefined): string | null =>
  value === null || value === undefined ? null : new Date(value).toISOString();

/** The workspace's callback endpoint and the secret that signs every callback of the workspace. */
@Injectable()
export class WebhookEndpointStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: CallbackOutboxStore,
  ) {}

  async get(workspaceId: string): Promise<WebhookEndpointView> {
    const rows: { secret: string; url: string | null; created_at: Date | null; updated_at: Date | null }[] =
      await this.db.query(
        `SELECT ws.callback_secret AS secret, w.url, w.created_at, w.updated_at
           FROM workspaces ws LEFT JOIN webhook_endpoints w ON w.workspace_id = ws.id
          WHERE ws.id = $1`,
        [workspaceId],
      );
    const row = rows[0];
    return { url: row.url, secret: row.secret, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
  }

  /** Sets the endpoint; a given secret replaces the workspace's (it signs message callbackUrls too). */
  async put(workspaceId: string, url: string, secret: string | undefined): Promise<WebhookEndpointView> {
    await this.db.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO webhook_endpoints (workspace_id, url) VALUES ($1, $2)
         ON CONFLICT (workspace_id) DO UPDATE SET url = EXCLUDED.url, updated_at = now()`,
        [workspaceId, url],
      );
      if (secret !== undefined)
        await manager.query(`UPDATE workspaces SET callback_secret = $2 WHERE id = $1`, [workspaceId, secret]);
    });
    return this.get(workspaceId);
  }

  /** Removes the endpoint; callbacks still waiting for it fail (the secret stays, for message callbackUrls). */
  async remove(workspaceId: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      await manager.query(`DELETE FROM webhook_endpoints WHERE workspace_id = $1`, [workspaceId]);
      await this.outbox.failEndpointCallbacks(workspaceId, manager);
    });
  }
}
