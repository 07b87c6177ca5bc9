import { Body, Controller, Get, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { rateCardIssues, type RateCard } from '#libs/core/src/index.js';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError } from '../common/herald-error.js';
import { RateCardService } from './rate-card.service.js';

@ApiTags('pricing')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/rate-card')
export class RateCardController {
  constructor(private readonly cards: RateCardService) {}

  @Get()
  @ApiOperation({ summary: "The workspace's rate card, or the shipped example card (isDefault: true)" })
  async get(@WorkspaceId() workspaceId: string): Promise<RateCard & { isDefault: boolean; updatedAt: string | null }> {
    const { card, updatedAt } = await this.cards.get(workspaceId);
    return { ...card, isDefault: updatedAt === null, updatedAt: updatedAt?.toISOString() ?? null };
  }

  @Put()
  @ApiOperation({
    summary: 'Replaces the workspace rate card: SMS per segment, WhatsApp per category, others per message',
  })
  async put(@WorkspaceId() workspaceId: string, @Body() body: unknown) {
    const issues = rateCardIssues(body);
    if (issues.length) throw HeraldError.validation(issues, 'The rate card is not valid');
    await this.cards.put(workspaceId, body as RateCard);
    return this.get(workspaceId);
  }
}
