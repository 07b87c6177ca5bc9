import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { pageOf } from '../../common/validation.js';
import { FiringStatsStore } from '../firing-stats.js';
import { page } from '../triggers.controller.js';
import { BROADCAST_ID, BroadcastsService, broadcastView } from './broadcasts.service.js';

@ApiTags('broadcasts')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/broadcasts')
export class BroadcastsController {
  constructor(
    private readonly broadcasts: BroadcastsService,
    private readonly stats: FiringStatsStore,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Schedules one message to a fixed list ({"contactIds": [...]}) or to the contacts matching a filter ' +
      '({"where": [{"path": "attributes.plan", "op": "eq", "value": "pro"}]}) at sendAt (default now). Optional ' +
      'conversion {event, within} attributes orders to it like a trigger; counted in the same stats.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      example: {
        name: 'Xmas sale',
        sendAt: '2026-12-24T09:00:00Z',
        audience: { contactIds: ['cust-42', 'cust-43'] },
        message: { channels: ['sms'], content: { text: 'Our sale starts now' } },
        conversion: { event: 'order_completed', within: '72h' },
      },
    },
  })
  create(@WorkspaceId() workspaceId: string, @Body() body: unknown) {
    return this.broadcasts.create(workspaceId, body);
  }

  @Get()
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const { limit, before } = page(query, BROADCAST_ID);
    const rows = await this.broadcasts.list(workspaceId, before, limit + 1);
    return pageOf(rows.map(broadcastView), limit);
  }

  @Get(':id')
  @ApiOperation({ summary: 'The broadcast with its stats' })
  async get(@WorkspaceId() workspaceId: string, @Param('id') id: string) {
    const row = await this.broadcasts.get(workspaceId, id);
    return { ...broadcastView(row), stats: await this.stats.forBroadcast(workspaceId, id) };
  }

  @Get(':id/stats')
  async statsOf(@WorkspaceId() workspaceId: string, @Param('id') id: string) {
    await this.broadcasts.get(workspaceId, id);
    return this.stats.forBroadcast(workspaceId, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancels what has not gone out yet; 409 when everything was already sent' })
  cancel(@WorkspaceId() workspaceId: string, @Param('id') id: string) {
    return this.broadcasts.cancel(workspaceId, id);
  }
}
