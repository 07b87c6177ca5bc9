import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { TEMPLATE_STATUSES } from '#libs/channels/src/whatsapp-cloud/index.js';
import { CHANNELS } from '#libs/core/src/index.js';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { pageOf, queryReader, readPage } from '../common/validation.js';
import { CreateTemplateRequest, parseTemplateRequest } from './create-template.request.js';
import { TemplatesService, type SyncResult, type TemplateView } from './templates.service.js';

const TEMPLATE_ID = /^tpl_[0-9a-f]{32}$/;

/** Templates (API §5): WhatsApp templates submitted to Meta, and stored content for the other channels. */
@ApiTags('templates')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Post()
  @ApiOperation({
    summary:
      "Registers a template: WhatsApp ones are submitted to Meta (201 PENDING; Meta's refusal is 422 TEMPLATE_REFUSED " +
      "with Meta's code and message); sms/viber/rcs/email ones are APPROVED at once",
  })
  @ApiBody({ type: CreateTemplateRequest })
  async create(@WorkspaceId() workspaceId: string, @Body() body: unknown): Promise<TemplateView> {
    const request = parseTemplateRequest(body);
    if (Array.isArray(request)) throw HeraldError.validation(request, 'The template is not valid');
    return this.templates.create(workspaceId, request);
  }

  @Get()
  @ApiOperation({ summary: 'Templates, newest first' })
  @ApiQuery({ name: 'status', required: false, enum: TEMPLATE_STATUSES })
  @ApiQuery({ name: 'name', required: false })
  @ApiQuery({ name: 'channel', required: false, enum: CHANNELS })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@WorkspaceId() workspaceId: string, @Query() query: Record<string, unknown>) {
    const details: ErrorDetail[] = [];
    const text = queryReader(query, details);
    const status = text('status')?.toUpperCase();
    if (status !== undefined && !(TEMPLATE_STATUSES as readonly string[]).includes(status))
      details.push({ field: 'status', issue: `one of ${TEMPLATE_STATUSES.join(', ')}` });
    const channel = text('channel');
    if (channel !== undefined && !(CHANNELS as readonly string[]).includes(channel))
      details.push({ field: 'channel', issue: `one of ${CHANNELS.join(', ')}` });
    const { limit, before } = readPage(text, TEMPLATE_ID, details);
    const name = text('name');
    if (details.length) throw HeraldError.validation(details);
    const rows = await this.templates.list(workspaceId, { status, name, channel, before, limit: limit + 1 });
    return pageOf(rows, limit);
  }

  @Post('sync')
  @HttpCode(200)
  @ApiOperation({
    summary: "Pulls every template's status and category from Meta now (the worker also does it periodically)",
  })
  async sync(@WorkspaceId() workspaceId: string): Promise<SyncResult> {
    return (await this.templates.sync(workspaceId, true))!;
  }

  @Get(':id')
  @ApiOperation({ summary: 'A template with its history: every status and category change, its source and reason' })
  async get(@WorkspaceId() workspaceId: string, @Param('id') id: string) {
    if (!TEMPLATE_ID.test(id)) throw HeraldError.notFound('Template');
    return this.templates.get(workspaceId, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Deletes a template: a WhatsApp one at Meta, then DELETED here with its history kept (Meta does not let a deleted name be reused for 30 days); stored content is removed',
  })
  async delete(@WorkspaceId() workspaceId: string, @Param('id') id: string): Promise<void> {
    if (!TEMPLATE_ID.test(id)) throw HeraldError.notFound('Template');
    await this.templates.delete(workspaceId, id);
  }
}
