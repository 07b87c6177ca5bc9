import { Body, Controller, Get, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rateCardIssues, type RateCard } from '#libs/core/src/index.js';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError } from '../common/herald-error.js';
import { DEFAULT_RATE_CARD } from './default-rate-card.js';

@ApiTags('pricing')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/rate-card')
export class RateCardController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get()
  @ApiOperation({ summary: "The workspace's rate card, or the shipped example card (isDefault: true)" })
  async get(@WorkspaceId() workspaceId: string): Promise<RateCard & { isDefault: boolean; updatedAt: string | null }> {
    const rows: { card: RateCard; updated_at: Date }[] = await this.db.query(
      `SELECT card, updated_at FROM rate_cards WHERE workspace_id = $1`,
      [workspaceId],
    );
    if (!rows[0]) return { ...DEFAULT_RATE_CARD, isDefault: true, updatedAt: null };
    return { ...rows[0].card, isDefault: false, updatedAt: new Date(rows[0].updated_at).toISOString() };
  }

  @Put()
  @ApiOperation({
    summary: 'Replaces the workspace rate card: SMS per segment, WhatsApp per category, others per message',
  })
  async put(@WorkspaceId() workspaceId: string, @Body() body: unknown) {
    const issues = rateCardIssues(body);
    if (issues.length) throw HeraldError.validation(issues, 'The rate card is not valid');
    await this.db.query(
      `INSERT INTO rate_cards (workspace_id, card) VALUES ($1, $2)
       ON CONFLICT (workspace_id) DO UPDATE SET card = EXCLUDED.card, updated_at = now()`,
      [workspaceId, JSON.stringify(body)],
    );
    return this.get(workspaceId);
  }
}
