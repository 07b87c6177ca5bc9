import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { CallbacksModule } from './callbacks/callbacks.module.js';
import { ChannelsModule } from './channels/channels.module.js';
import type { HeraldConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { ContactsModule } from './contacts/contacts.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { EventsModule } from './events/events.module.js';
import { DispatchModule } from './dispatch/dispatch.module.js';
import { HealthController } from './health/health.controller.js';
import { MessagesModule } from './messages/messages.module.js';
import { loggerParams } from './observability/logging.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { PricingModule } from './pricing/pricing.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { TemplatesModule } from './templates/templates.module.js';
import { TriggersModule } from './triggers/triggers.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { WorkspacesModule } from './workspaces/workspaces.module.js';

@Module({})
export class AppModule {
  static register(config: HeraldConfig, databaseUrl: string): DynamicModule {
    const imports: (DynamicModule | Type)[] = [
      ConfigModule.register(config),
      LoggerModule.forRoot(loggerParams(config.logLevel)),
      // Migrations run before the app starts (src/database/migrate.ts), under an advisory lock.
      TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, config.dbPoolSize)),
      ScheduleModule.forRoot(),
      TerminusModule,
      ObservabilityModule,
      ChannelsModule,
      WorkspacesModule,
      ContactsModule,
      MessagesModule,
      DispatchModule,
      WebhooksModule,
      PricingModule,
      TemplatesModule,
      EventsModule,
      TriggersModule,
      CallbacksModule,
      ReportsModule,
      DashboardModule,
    ];
    return { module: AppModule, imports, controllers: [HealthController] };
  }
}
