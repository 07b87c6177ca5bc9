import { Body, Controller, Delete, Get, HttpCode, Inject, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError } from '../common/herald-error.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { callbackUrlIssue } from './address-guard.js';
import { PutWebhookEndpointRequest, WebhookEndpointResponse } from './webhook-endpoint.request.js';
import { WebhookEndpointStore, type WebhookEndpointView } from './webhook-endpoint.store.js';

/** The workspace's status callback endpoint (API §9). */
@ApiTags('status callbacks')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/webhook-endpoint')
export class WebhookEndpointController {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly endpoints: WebhookEndpointStore,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The endpoint ({"url": null} when none) and the secret that signs every callback' })
  @ApiOkResponse({ type: WebhookEndpointResponse })
  get(@WorkspaceId() workspaceId: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(workspaceId);
  }

  @Put()
  @ApiOperation({
    summary: 'Sets the endpoint that receives every status change of every message (and optionally the secret)',
    description:
      'POST {"id": "evt_…", "type": "message.status", "data": {id, status, channel, attempt, reference, at}} with ' +
      '`Herald-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` and `Herald-Event-Id`; retried ' +
      'with exponential backoff for 24 h until a 2xx. A message with its own callbackUrl is sent to both.',
  })
  @ApiOkResponse({ type: WebhookEndpointResponse })
  put(@WorkspaceId() workspaceId: string, @Body() body: PutWebhookEndpointRequest): Promise<WebhookEndpointView> {
    const issue = callbackUrlIssue(body.url, this.config.allowPrivateCallbacks);
    if (issue) throw HeraldError.validation([{ field: 'url', issue }]);
    return this.endpoints.put(workspaceId, body.url, body.secret);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Removes the endpoint; callbacks still waiting for it fail, the secret stays' })
  async remove(@WorkspaceId() workspaceId: string): Promise<void> {
    await this.endpoints.remove(workspaceId);
  }
}
