import { Module } from '@nestjs/common';
import { DashboardAssets } from './dashboard-assets.js';
import { DashboardController } from './dashboard.controller.js';

/** The dashboard page (API §8): static files served by Herald, reading only the public report API. */
@Module({
  controllers: [DashboardController],
  providers: [DashboardAssets],
})
export class DashboardModule {}
