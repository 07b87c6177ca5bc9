import { Module } from '@nestjs/common';
import { CallbackOutboxStore } from './callback-outbox.store.js';
import { CallbackWorkerService } from './callback-worker.service.js';
import { WebhookDeliveriesController } from './webhook-deliveries.controller.js';
import { WebhookEndpointController } from './webhook-endpoint.controller.js';
import { WebhookEndpointStore } from './webhook-endpoint.store.js';

/**
 * Status callbacks (API §9): the workspace endpoint, the delivery log, and the worker that sends the outbox.
 * Rows enter the outbox from the transactions that change message statuses (callback-outbox.sql.ts).
 */
@Module({
  controllers: [WebhookEndpointController, WebhookDeliveriesController],
  providers: [CallbackOutboxStore, WebhookEndpointStore, CallbackWorkerService],
})
export class CallbacksModule {}
