import { Module } from '@nestjs/common';
import { TemplateGateway } from './template-gateway.js';
import { TemplateJobsService } from './template-jobs.service.js';
import { TemplatesController } from './templates.controller.js';
import { TemplatesService } from './templates.service.js';
import { TemplatesStore } from './templates.store.js';

@Module({
  controllers: [TemplatesController],
  providers: [TemplatesStore, TemplateGateway, TemplatesService, TemplateJobsService],
  exports: [TemplatesService],
})
export class TemplatesModule {}
