import { Body, Controller, Delete, Get, HttpCode, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { parseDuration } from '#libs/core/src/index.js';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';

interface FrequencyCap {
  max: number;
  per: string | number;
  perMs: number;
}

/** The workspace-wide cap on triggered sends per contact (API §7), applied by every rule before it sends. */
@ApiTags('triggers')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/settings/frequency-cap')
export class SettingsController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'The cap, or {"max": null} when there is none' })
  async get(@WorkspaceId() workspaceId: string) {
    const [row]: { frequency_cap: FrequencyCap | null }[] = await this.db.query(
      `SELECT frequency_cap FROM workspace_settings WHERE workspace_id = $1`,
      [workspaceId],
    );
    const cap = row?.frequency_cap;
    return cap ? { max: cap.max, per: cap.per } : { max: null, per: null };
  }

  @Put()
  @ApiOperation({ summary: 'At most `max` triggered sends per contact per `per` (e.g. {"max": 3, "per": "7d"})' })
  @ApiBody({ schema: { type: 'object', example: { max: 3, per: '7d' } } })
  async put(@WorkspaceId() workspaceId: string, @Body() body: unknown) {
    const details: ErrorDetail[] = [];
    const input = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    if (input !== body) details.push({ field: 'body', issue: 'a JSON object {max, per}' });
    for (const key of Object.keys(input))
      if (key !== 'max' && key !== 'per') details.push({ field: key, issue: 'unknown field' });
    const max = input.max;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)
      details.push({ field: 'max', issue: 'an integer from 1 to 1000' });
    const perMs = parseDuration(input.per);
    if (perMs === null || perMs < 1000 || perMs > 365 * 86_400_000)
      details.push({ field: 'per', issue: 'a duration between 1s and 365d, e.g. "7d"' });
    if (details.length) throw HeraldError.validation(details);
    const cap: FrequencyCap = { max: max as number, per: input.per as string | number, perMs: perMs! };
    await this.db.query(
      `INSERT INTO workspace_settings (workspace_id, frequency_cap) VALUES ($1, $2)
       ON CONFLICT (workspace_id) DO UPDATE SET frequency_cap = EXCLUDED.frequency_cap, updated_at = now()`,
      [workspaceId, JSON.stringify(cap)],
    );
    return { max: cap.max, per: cap.per };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Removes the cap' })
  async remove(@WorkspaceId() workspaceId: string): Promise<void> {
    await this.db.query(
      `UPDATE workspace_settings SET frequency_cap = NULL, updated_at = now() WHERE workspace_id = $1`,
      [workspaceId],
    );
  }
}
