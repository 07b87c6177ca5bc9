import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebhookRequest } from '#libs/channels/src/index.js';
import { verificationAnswer } from '#libs/channels/src/rbm/index.js';
import { verifyChallenge } from '#libs/channels/src/whatsapp-cloud/index.js';
import { ChannelRegistry } from '../channels/channel-registry.js';
import type { WebhookSource } from '../channels/provider-factory.js';
import { HeraldError } from '../common/herald-error.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { StatusIngestService } from '../dispatch/status-ingest.service.js';
import { InboundService } from '../inbound/inbound.service.js';
import { TemplatesService } from '../templates/templates.service.js';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Provider webhooks (API §6). The signature is checked on the raw bytes before anything is read from the
 * body; a request that fails it gets 401 and changes nothing. Delivery reports go through the same
 * ingestion as the sandbox's: statuses only move forward, so duplicates and reordering are harmless, and a
 * report for an unknown message is acknowledged and kept.
 */
@ApiTags('webhooks')
@Controller('webhooks')
export class ProviderWebhooksController {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly registry: ChannelRegistry,
    private readonly ingest: StatusIngestService,
    private readonly inbound: InboundService,
    private readonly templates: TemplatesService,
  ) {}

  @Get('whatsapp')
  @ApiOperation({ summary: "Meta's verification handshake (hub.mode, hub.verify_token, hub.challenge)" })
  whatsappChallenge(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) reply: FastifyReply): string {
    const token = this.config.whatsapp?.verifyToken;
    const challenge = token ? verifyChallenge(query, token) : null;
    if (challenge === null) throw new HeraldError('UNAUTHORIZED', 'The verify token does not match');
    // Meta expects the challenge echoed as plain text (set only on success: errors stay JSON).
    void reply.header('Content-Type', 'text/plain; charset=utf-8');
    return challenge;
  }

  @Post('whatsapp')
  @HttpCode(200)
  @ApiOperation({ summary: 'WhatsApp Cloud API statuses, inbound messages and template updates (X-Hub-Signature-256)' })
  whatsapp(@Req() request: RawRequest) {
    return this.receive('whatsapp', request);
  }

  @Post('viber')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Viber delivered, seen, failed, subscribed, unsubscribed, message (X-Viber-Content-Signature)',
  })
  viber(@Req() request: RawRequest) {
    return this.receive('viber', request);
  }

  @Post('twilio')
  @HttpCode(200)
  @ApiOperation({ summary: 'Twilio status callbacks and inbound SMS, form-encoded (X-Twilio-Signature)' })
  twilio(@Req() request: RawRequest) {
    return this.receive('twilio', request);
  }

  @Post('rbm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Google RBM agent events and user messages (X-Goog-Signature)' })
  async rbm(@Req() request: RawRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    // Google's one-time check when the webhook is set up: echo the secret if the client token matches.
    const clientToken = this.config.rbm?.clientToken;
    const secret = clientToken && request.rawBody ? verificationAnswer(request.rawBody, clientToken) : null;
    if (secret !== null) {
      void reply.header('Content-Type', 'text/plain; charset=utf-8');
      return secret;
    }
    return this.receive('rbm', request);
  }

  private async receive(source: WebhookSource, request: RawRequest): Promise<{ received: number }> {
    const handler = this.registry.webhook(source);
    if (!handler) throw new HeraldError('NOT_FOUND', `${source} is not configured`);
    const webhook: WebhookRequest = {
      rawBody: request.rawBody ?? Buffer.alloc(0),
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name.toLowerCase(),
          Array.isArray(value) ? value.join(',') : value,
        ]),
      ),
      url: `${this.config.publicUrl}${request.url}`,
    };
    if (!handler.verify(webhook)) throw new HeraldError('UNAUTHORIZED', 'The webhook signature is not valid');
    let events;
    try {
      events = handler.parse(webhook);
    } catch {
      throw HeraldError.validation([{ field: 'body', issue: `not a ${source} webhook` }]);
    }
    const reports = events.flatMap((event) => (event.kind === 'status' ? [event.report] : []));
    await this.ingest.ingestMany(reports);
    await this.inbound.record(events);
    await this.templates.applyWebhookEvents(events);
    return { received: events.length };
  }
}
