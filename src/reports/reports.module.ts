import { Module } from '@nestjs/common';
import { TriggersModule } from '../triggers/triggers.module.js';
import { CascadesController } from './cascades/cascades.controller.js';
import { ReportsStore } from './reports.store.js';
import { ExportCsvController } from './summary/export-csv.controller.js';
import { SummaryReport } from './summary/summary-report.js';
import { SummaryController } from './summary/summary.controller.js';
import { TriggerReportController } from './triggers/trigger-report.controller.js';

/** API §8: GET /v1/reports/summary, /cascades, /triggers and /export.csv, all read from the stored state. */
@Module({
  imports: [TriggersModule],
  controllers: [SummaryController, CascadesController, TriggerReportController, ExportCsvController],
  providers: [ReportsStore, SummaryReport],
})
export class ReportsModule {}
