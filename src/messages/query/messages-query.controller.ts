import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CHANNELS, MESSAGE_STATUSES } from '#libs/core/src/index.js';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { HeraldError, type ErrorDetail } from '../../common/herald-error.js';
import { queryReader } from '../../common/validation.js';
import { MessageQueryStore, type ListFilter } from './message-query.store.js';

@ApiTags('messages')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/messages')
export class MessagesQueryController {
  constructor(private readonly messages: MessageQueryStore) {}

  /** Messages, newest first, with an opaque cursor. */
  @Get()
  @ApiQuery({ name: 'status', required: false, enum: MESSAGE_STATUSES })
  @ApiQuery({ name: 'channel', required: false, enum: CHANNELS })
  @ApiQuery({ name: 'reference', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'created at or after (ISO 8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'created before (ISO 8601)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  list(@WorkspaceId() workspaceId: string, @Query() query: Record<string, string | string[] | undefined>) {
    return this.messages.list(workspaceId, parseListQuery(query));
  }

  @Get(':id')
  get(@WorkspaceId() workspaceId: string, @Param('id') id: string) {
    return this.messages.get(workspaceId, id);
  }

  /** Cancels a scheduled message, or one none of whose attempts has reached a provider yet (409 otherwise). */
  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@WorkspaceId() workspaceId: string, @Param('id') id: string) {
    const outcome = await this.messages.cancel(workspaceId, id);
    if (outcome === 'not-found') throw HeraldError.notFound('Message');
    if (outcome === 'too-late')
      throw new HeraldError('CONFLICT', 'The message was already handed to a provider or has ended');
    return this.messages.get(workspaceId, id);
  }
}

export function parseListQuery(query: Record<string, string | string[] | undefined>): ListFilter {
  const details: ErrorDetail[] = [];
  const one = queryReader(query, details);
  const filter: ListFilter = { limit: 50 };
  const status = one('status');
  if (status !== undefined) {
    if ((MESSAGE_STATUSES as readonly string[]).includes(status)) filter.status = status;
    else details.push({ field: 'status', issue: `one of ${MESSAGE_STATUSES.join(', ')}` });
  }
  const channel = one('channel');
  if (channel !== undefined) {
    if ((CHANNELS as readonly string[]).includes(channel)) filter.channel = channel;
    else details.push({ field: 'channel', issue: `one of ${CHANNELS.join(', ')}` });
  }
  filter.reference = one('reference');
  for (const name of ['from', 'to'] as const) {
    const value = one(name);
    if (value === undefined) continue;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) details.push({ field: name, issue: 'an ISO 8601 date-time' });
    else filter[name] = date;
  }
  const limit = one('limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 100) details.push({ field: 'limit', issue: 'an integer from 1 to 100' });
    else filter.limit = n;
  }
  const cursor = one('cursor');
  if (cursor !== undefined) {
    const id = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!/^msg_[0-9a-f]{32}$/.test(id)) details.push({ field: 'cursor', issue: 'not a cursor from this API' });
    else filter.cursor = id;
  }
  if (details.length) throw HeraldError.validation(details);
  return filter;
}
