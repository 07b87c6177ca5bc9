import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CHANNELS } from '#libs/core/src/index.js';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { queryReader } from '../common/validation.js';
import { scopedWhere } from '../database/sql.js';

@ApiTags('inbound')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/inbound')
export class InboundController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Replies and keywords from customers, newest first. */
  @Get()
  @ApiQuery({ name: 'channel', required: false, enum: CHANNELS })
  @ApiQuery({ name: 'from', required: false, description: 'received at or after (ISO 8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'received before (ISO 8601)' })
  @ApiQuery({ name: 'address', required: false, description: "the sender's address" })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const details: ErrorDetail[] = [];
    const text = queryReader(query, details);
    const where = scopedWhere(workspaceId);
    const add = where.add;
    const channel = text('channel');
    if (channel !== undefined) {
      if ((CHANNELS as readonly string[]).includes(channel)) add('channel = ?', channel);
      else details.push({ field: 'channel', issue: `one of ${CHANNELS.join(', ')}` });
    }
    for (const [name, op] of [
      ['from', '>='],
      ['to', '<'],
    ] as const) {
      const value = text(name);
      if (value === undefined) continue;
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) details.push({ field: name, issue: 'an ISO 8601 date-time' });
      else add(`received_at ${op} ?`, date);
    }
    const address = text('address');
    if (address !== undefined) add('from_address = ?', address);
    const limitText = text('limit');
    const limit = limitText === undefined ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      details.push({ field: 'limit', issue: 'an integer from 1 to 100' });
    const cursor = text('cursor');
    if (cursor !== undefined) {
      const id = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!/^in_[0-9a-f]{32}$/.test(id)) details.push({ field: 'cursor', issue: 'not a cursor from this API' });
      else add('id < ?', id);
    }
    if (details.length) throw HeraldError.validation(details);
    const limitParam = where.param(limit + 1);
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT id, channel, provider, provider_message_id, from_address, to_address, text, contact_id, received_at
         FROM inbound_messages WHERE ${where.sql} ORDER BY id DESC LIMIT ${limitParam}`,
      where.params,
    );
    const page = rows.slice(0, limit).map((row) => ({
      id: row.id,
      channel: row.channel,
      provider: row.provider,
      providerMessageId: row.provider_message_id,
      from: row.from_address,
      to: row.to_address,
      text: row.text,
      contactId: row.contact_id,
      receivedAt: new Date(row.received_at as string).toISOString(),
    }));
    const nextCursor = rows.length > limit ? Buffer.from(String(page.at(-1)!.id)).toString('base64url') : null;
    return { data: page, nextCursor };
  }
}
