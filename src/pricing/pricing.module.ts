import { Module } from '@nestjs/common';
import { RateCardController } from './rate-card.controller.js';

@Module({ controllers: [RateCardController] })
export class PricingModule {}
