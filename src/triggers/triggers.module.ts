import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { TemplatesModule } from '../templates/templates.module.js';
import { BroadcastsController } from './broadcasts/broadcasts.controller.js';
import { BroadcastsService } from './broadcasts/broadcasts.service.js';
import { FiringRunner } from './firing-runner.js';
import { FiringStatsStore } from './firing-stats.js';
import { SettingsController } from './settings.controller.js';
import { TriggerEngine } from './trigger-engine.js';
import { RetentionService } from './retention.service.js';
import { TriggerWorkerService } from './trigger-worker.service.js';
import { TriggersController } from './triggers.controller.js';
import { TriggersService } from './triggers.service.js';

@Module({
  imports: [EventsModule, MessagesModule, TemplatesModule],
  controllers: [TriggersController, BroadcastsController, SettingsController],
  providers: [
    TriggersService,
    BroadcastsService,
    TriggerEngine,
    FiringRunner,
    FiringStatsStore,
    TriggerWorkerService,
    RetentionService,
  ],
  // GET /v1/reports/triggers (src/reports) reads the same figures.
  exports: [FiringStatsStore],
})
export class TriggersModule {}
