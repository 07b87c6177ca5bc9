import { Module } from '@nestjs/common';
import { DispatchModule } from '../dispatch/dispatch.module.js';
import { InboundModule } from '../inbound/inbound.module.js';
import { TemplatesModule } from '../templates/templates.module.js';
import { EmailDsnController } from './email-dsn.controller.js';
import { ProviderWebhooksController } from './provider-webhooks.controller.js';

@Module({
  imports: [DispatchModule, InboundModule, TemplatesModule],
  controllers: [ProviderWebhooksController, EmailDsnController],
})
export class WebhooksModule {}
