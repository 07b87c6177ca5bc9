import { randomUUID } from 'node:crypto';
import type { Channel } from '#libs/core/src/index.js';
import { ChannelSendError, type ChannelProvider, type SendRequest, type SendResult } from '../channel.port.js';
import { sandboxDecision, sandboxScenario, type PlannedReport } from './sandbox-behaviour.js';

/**
 * Where the sandbox keeps what it was sent. It is durable (PostgreSQL in Herald), like a real provider's
 * own records: a worker crash loses nothing, and a second submission of one attempt is visible.
 */
export interface SandboxStore {
  /** Counts a call for the attempt and returns its number (1 for the first) and any earlier acceptance. */
  recordCall(
    attemptId: string,
    workspaceId: string,
    channel: Channel,
  ): Promise<{ call: number; providerMessageId: string | null }>;
  /** Records an acceptance with the delivery reports to play back later. */
  accept(attemptId: string, workspaceId: string, providerMessageId: string, reports: PlannedReport[]): Promise<void>;
  find(attemptId: string): Promise<{ providerMessageId: string } | null>;
}

export const SANDBOX_PROVIDER = 'sandbox';

/** A simulated provider for one channel; it answers at once and reports delivery asynchronously. */
export class SandboxProvider implements ChannelProvider {
  readonly name = SANDBOX_PROVIDER;

  constructor(
    readonly channel: Channel,
    private readonly store: SandboxStore,
    private readonly stepMs: number,
  ) {}

  async send(request: SendRequest): Promise<SendResult> {
    const { call, providerMessageId: earlier } = await this.store.recordCall(
      request.attemptId,
      request.workspaceId,
      this.channel,
    );
    if (earlier) {
      // Like RBM's messageId, a repeated reference is acknowledged, not sent again.
      return { providerMessageId: earlier, status: 'submitted' };
    }
    const decision = sandboxDecision(sandboxScenario(this.channel, request.address), call, this.stepMs);
    if (!decision.accept) throw new ChannelSendError(decision.error);
    const providerMessageId = `SBX${randomUUID().replaceAll('-', '')}`;
    await this.store.accept(request.attemptId, request.workspaceId, providerMessageId, decision.reports);
    return { providerMessageId, status: 'submitted', segments: 1 };
  }

  async lookup(attemptId: string): Promise<SendResult | null> {
    const found = await this.store.find(attemptId);
    return found ? { providerMessageId: found.providerMessageId, status: 'submitted' } : null;
  }
}
