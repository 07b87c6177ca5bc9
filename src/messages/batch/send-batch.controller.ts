import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { HeraldError } from '../../common/herald-error.js';
import { MetricsService } from '../../observability/metrics.service.js';
import { MessageWriter } from '../message-writer.js';
import { MessageIntake, type NewMessage } from '../send/message-intake.js';
import { SendMessageRequest } from '../send/send-message.request.dto.js';
import { accepted } from '../send/send-message.use-case.js';

export const MAX_BATCH = 1000;

class SendBatchRequest {
  @ApiProperty({ type: [SendMessageRequest], maxItems: MAX_BATCH }) messages: unknown[];
}

type BatchResult =
  | { id: string; status: string; createdAt: string }
  | { error: { code: string; message: string; details: { field: string; issue: string }[] } };

@ApiTags('messages')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/messages/batch')
export class SendBatchController {
  constructor(
    private readonly intake: MessageIntake,
    private readonly writer: MessageWriter,
    private readonly metrics: MetricsService,
  ) {}

  /** Up to 1000 messages; each is accepted or refused on its own, results in input order. */
  @Post()
  @HttpCode(200)
  @ApiBody({ type: SendBatchRequest })
  async create(@WorkspaceId() workspaceId: string, @Body() body: unknown): Promise<{ results: BatchResult[] }> {
    const items = (body as { messages?: unknown })?.messages;
    if (!Array.isArray(items))
      throw HeraldError.validation([{ field: 'messages', issue: 'must be an array of message bodies' }]);
    if (items.length < 1 || items.length > MAX_BATCH) {
      throw HeraldError.validation([{ field: 'messages', issue: `must hold 1 to ${MAX_BATCH} messages` }]);
    }
    const results: BatchResult[] = new Array(items.length);
    const ready: { index: number; message: NewMessage }[] = [];
    await Promise.all(
      items.map(async (item, index) => {
        try {
          ready.push({ index, message: await this.intake.prepare(workspaceId, item, null) });
        } catch (error) {
          if (!(error instanceof HeraldError)) throw error;
          results[index] = {
            error: {
              code: error.code,
              message: error.message,
              details: error.details.map((d) => ({ ...d, field: `messages[${index}].${d.field}` })),
            },
          };
        }
      }),
    );
    const written = await this.writer.writeMany(ready.map((r) => r.message));
    ready.forEach(({ index, message }, i) => {
      const result = written[i];
      if (result.inserted) {
        const view = accepted(message, result.createdAt);
        results[index] = { id: view.id, status: view.status, createdAt: view.createdAt };
        this.metrics.accepted.inc({ first_channel: message.channels[0] });
      }
    });
    return { results };
  }
}
