import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module.js';
import { PricingModule } from '../pricing/pricing.module.js';
import { DispatchStore } from './dispatch.store.js';
import { DispatcherService } from './dispatcher.service.js';
import { MaintenanceService } from './maintenance.service.js';
import { MessageProcessor } from './message-processor.js';
import { SandboxReporterService } from './sandbox-reporter.service.js';
import { StatusIngestService } from './status-ingest.service.js';

@Module({
  imports: [MessagesModule, PricingModule],
  providers: [
    DispatchStore,
    MessageProcessor,
    StatusIngestService,
    DispatcherService,
    SandboxReporterService,
    MaintenanceService,
  ],
  exports: [StatusIngestService, DispatcherService, SandboxReporterService],
})
export class DispatchModule {}
