import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HeraldError } from '../../common/herald-error.js';
import { MetricsService } from '../../observability/metrics.service.js';
import { MessageWriter } from '../message-writer.js';
import { MessageIntake, requestHash, type NewMessage } from './message-intake.js';

export interface AcceptedMessage {
  id: string;
  status: 'accepted' | 'scheduled';
  channels: string[];
  createdAt: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * POST /v1/messages: validate, render, write (group commit), answer. With an Idempotency-Key, the same body
 * within 24 h gets the first answer again and a different body gets 422; the unique index settles races.
 */
@Injectable()
export class SendMessageUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly intake: MessageIntake,
    private readonly writer: MessageWriter,
    private readonly metrics: MetricsService,
  ) {}

  async execute(
    workspaceId: string,
    body: unknown,
    idempotencyKey: string | undefined,
  ): Promise<{ message: AcceptedMessage; replay: boolean }> {
    let key: string | null = null;
    if (idempotencyKey !== undefined) {
      if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw HeraldError.validation([{ field: 'Idempotency-Key', issue: '1-255 printable ASCII characters' }]);
      }
      key = idempotencyKey;
      const earlier = await this.findByKey(workspaceId, key, body);
      if (earlier) return { message: earlier, replay: true };
    }
    const message = await this.intake.prepare(workspaceId, body, key);
    const result = await this.writer.write(message);
    if (!result.inserted) {
      const earlier = await this.findByKey(workspaceId, key!, body);
      if (earlier) return { message: earlier, replay: true };
      throw new HeraldError('CONFLICT', 'A request with this Idempotency-Key is being processed; retry');
    }
    this.metrics.accepted.inc({ first_channel: message.channels[0] });
    return { message: accepted(message, result.createdAt), replay: false };
  }

  private async findByKey(workspaceId: string, key: string, body: unknown): Promise<AcceptedMessage | null> {
    const rows: { id: string; request_hash: string; channels: string[]; send_at: Date | null; created_at: Date }[] =
      await this.db.query(
        `SELECT id, request_hash, channels, send_at, created_at FROM messages
        WHERE workspace_id = $1 AND idempotency_key = $2 AND created_at > now() - interval '24 hours'`,
        [workspaceId, key],
      );
    const row = rows[0];
    if (!row) return null;
    if (row.request_hash !== requestHash(body)) {
      throw new HeraldError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different body', [
        { field: 'Idempotency-Key', issue: 'reused with a different body' },
      ]);
    }
    return {
      id: row.id,
      status: row.send_at && row.send_at > row.created_at ? 'scheduled' : 'accepted',
      channels: row.channels,
      createdAt: new Date(row.created_at).toISOString(),
    };
  }
}

export function accepted(message: NewMessage, createdAt: Date): AcceptedMessage {
  return {
    id: message.id,
    status: message.status,
    channels: message.channels,
    createdAt: new Date(createdAt).toISOString(),
  };
}
