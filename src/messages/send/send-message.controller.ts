import { Body, Controller, Headers, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard, WorkspaceId } from '../../auth/auth.guards.js';
import { SendMessageRequest, SendMessageResponse } from './send-message.request.dto.js';
import { SendMessageUseCase, type AcceptedMessage } from './send-message.use-case.js';

@ApiTags('messages')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/messages')
export class SendMessageController {
  constructor(private readonly send: SendMessageUseCase) {}

  /** Accepts a message for the cascade. The 202 is sent only after the message is committed. */
  @Post()
  @HttpCode(202)
  @ApiBody({ type: SendMessageRequest })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key and body within 24 h: the first answer again',
  })
  @ApiResponse({ status: 202, type: SendMessageResponse })
  @ApiResponse({
    status: 422,
    description: 'MISSING_VARIABLE, NO_CONSENT, NO_REACHABLE_CHANNEL, IDEMPOTENCY_KEY_REUSED',
  })
  async create(
    @WorkspaceId() workspaceId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AcceptedMessage> {
    const { message, replay } = await this.send.execute(workspaceId, body, idempotencyKey);
    if (replay) void reply.header('Idempotency-Replay', 'true');
    return message;
  }
}
