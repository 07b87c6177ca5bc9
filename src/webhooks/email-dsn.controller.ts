import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { dsnToReports, parseDsn } from '#libs/channels/src/smtp/index.js';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { HeraldError } from '../common/herald-error.js';
import { StatusIngestService } from '../dispatch/status-ingest.service.js';

/** Content types a bounce arrives in; bootstrap.ts keeps these bodies as raw bytes. */
export const DSN_CONTENT_TYPES = ['message/rfc822', 'multipart/report', 'message/delivery-status'];

/**
 * Bounces (RFC 3464 delivery status notifications) forwarded by the user's mail system, authenticated by the
 * workspace API key: a bounce fails the email attempt it names, within the caller's workspace only.
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('webhooks/email/dsn')
export class EmailDsnController {
  constructor(private readonly ingest: StatusIngestService) {}

  @Post()
  @HttpCode(200)
  @ApiConsumes(...DSN_CONTENT_TYPES)
  @ApiOperation({ summary: 'A bounce (RFC 3464 DSN), raw message/rfc822 or multipart/report' })
  async receive(
    @WorkspaceId() workspaceId: string,
    @Body() body: unknown,
  ): Promise<{ received: number; applied: number }> {
    const raw = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : null;
    if (!raw || raw.length === 0) {
      throw HeraldError.validation([{ field: 'body', issue: 'send the bounce as message/rfc822 or multipart/report' }]);
    }
    let reports;
    try {
      reports = dsnToReports(parseDsn(raw));
    } catch {
      throw HeraldError.validation([{ field: 'body', issue: 'not a delivery status notification (RFC 3464)' }]);
    }
    // Scoped and not kept when unmatched: a key must not reach another workspace's attempts, even later.
    const outcomes = await this.ingest.ingestMany(reports, { workspaceId, keepUnmatched: false });
    return { received: reports.length, applied: outcomes.filter((o) => o === 'applied').length };
  }
}
