import { Controller, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { HeraldError } from '../../common/herald-error.js';
import { cleanText } from '../../common/storable-text.js';
import type { HeraldConfig } from '../../config/config.js';
import { HERALD_CONFIG } from '../../config/config.module.js';
import { EventIngestService } from '../event-ingest.service.js';
import { parseShopifyJson } from './shopify-json.js';
import { mapShopify } from './shopify.mapper.js';
import { verifyShopifyHmac } from './shopify-signature.js';

type RawRequest = FastifyRequest & { rawBody?: Buffer };
const WORKSPACE_ID = /^ws_[0-9a-f]{32}$/;

/**
 * Shopify webhooks (API §7). The HMAC is checked on the raw bytes before anything is read; then the topic maps to
 * an event (checkouts/create → checkout_started, checkouts/update → checkout_updated, orders/create →
 * order_completed) for the workspace named in the webhook's address (`?workspace=ws_…`). Shopify retries
 * anything but a 2xx, so a topic Herald does not use, or a checkout without a customer to address, is
 * acknowledged (200, `ignored`) rather than refused.
 */
@ApiTags('webhooks')
@Controller('webhooks/shopify')
export class ShopifyController {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly ingest: EventIngestService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Shopify checkouts/create, checkouts/update and orders/create (X-Shopify-Hmac-Sha256 with SHOPIFY_WEBHOOK_SECRET); ' +
      'register it in Shopify as PUBLIC_URL/webhooks/shopify?workspace=<workspace id>',
  })
  @ApiQuery({ name: 'workspace', required: true, description: 'the workspace the shop sends to' })
  async receive(@Req() request: RawRequest, @Query() query: Record<string, unknown>) {
    const secret = this.config.shopifyWebhookSecret;
    if (!secret) throw new HeraldError('NOT_FOUND', 'The Shopify endpoint is disabled: set SHOPIFY_WEBHOOK_SECRET');
    const raw = request.rawBody ?? Buffer.alloc(0);
    if (!verifyShopifyHmac(raw, header(request, 'x-shopify-hmac-sha256'), secret)) {
      throw new HeraldError('UNAUTHORIZED', 'X-Shopify-Hmac-Sha256 does not match the body');
    }
    const workspaceId = query.workspace;
    if (typeof workspaceId !== 'string' || !WORKSPACE_ID.test(workspaceId)) {
      throw HeraldError.validation([{ field: 'workspace', issue: 'the workspace id, as ?workspace=ws_…' }]);
    }
    const known: unknown[] = await this.db.query(`SELECT 1 FROM workspaces WHERE id = $1`, [workspaceId]);
    if (!known.length) throw HeraldError.notFound('Workspace');
    let body: unknown;
    try {
      // Shopify cannot be told to fix a payload (it retries a 4xx): text PostgreSQL cannot store is cleaned.
      body = cleanText(parseShopifyJson(raw));
    } catch {
      throw HeraldError.validation([{ field: 'body', issue: 'not JSON' }]);
    }
    const topic = header(request, 'x-shopify-topic') ?? '';
    const { events, issues } = mapShopify(topic, header(request, 'x-shopify-webhook-id'), body);
    if (!events.length) return { ignored: true, issues };
    const results = await this.ingest.ingest(workspaceId, 'shopify', events);
    return { results, ...(issues.length ? { issues } : {}) };
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
