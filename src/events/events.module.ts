import { Module } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { EventIngestService } from './event-ingest.service.js';
import { EventsStore } from './events.store.js';
import { EventsController } from './ingest/events.controller.js';
import { SegmentController } from './integrations/segment.controller.js';
import { ShopifyController } from './integrations/shopify.controller.js';

@Module({
  controllers: [EventsController, SegmentController, ShopifyController],
  providers: [Clock, EventIngestService, EventsStore],
  exports: [Clock, EventIngestService],
})
export class EventsModule {}
