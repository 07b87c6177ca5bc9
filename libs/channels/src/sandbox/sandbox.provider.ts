import { randomUUID } from 'node:crypto';
import type { Channel } from '#libs/core/src/index.js';
import { ChannelSendError, type ChannelProvider, type SendRequest, type SendResult } from '../channel.port.js';
import { sandboxDecision, sandboxScenario, type PlannedReport } from './sandbox-behaviour.js';

/**
 * Where the sandbox keeps what it was sent. It is durable (PostgreSQL in Herald), like a real provider's
 * own records: a worker crash loses nothing, and a second submission of one attempt is visible.
 */
/** `first`: this call was the attempt's first and is accepted; else the earlier call count and acceptance. */
export type FirstAcceptanceAnswer = { first: true } | { first: false; call: number; providerMessageId: string | null };

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
  /**
   * Records a first call and its acceptance in one step (the common case, one round trip). When the attempt
   * was seen before, nothing is accepted; the earlier call count and acceptance are returned instead.
   */
  acceptFirst(
    attemptId: string,
    workspaceId: string,
    channel: Channel,
    providerMessageId: string,
    reports: PlannedReport[],
  ): Promise<FirstAcceptanceAnswer>;
}

export const SANDBOX_PROVIDER = 'sandbox';

const newProviderId = (): string => `SBX${randomUUID().replaceAll('-', '')}`;

/** A simulated provider for one channel; it answers at once and reports delivery asynchronously. */
export class SandboxProvider implements ChannelProvider {
  readonly name = SANDBOX_PROVIDER;

  constructor(
    readonly channel: Channel,
    private readonly store: SandboxStore,
    private readonly stepMs: number,
  ) {}

  async send(request: SendRequest): Promise<SendResult> {
    const scenario = sandboxScenario(this.channel, request.address);
    if (scenario !== 'temporary-twice') {
      // The outcome does not depend on how often it was called: accept in one round trip.
      const decision = sandboxDecision(scenario, 1, this.stepMs);
      if (!decision.accept) throw new ChannelSendError(decision.error);
      const providerMessageId = newProviderId();
      const answer = await this.store.acceptFirst(
        request.attemptId,
        request.workspaceId,
        this.channel,
        providerMessageId,
        decision.reports,
      );
      // Like RBM's messageId, a repeated reference is acknowledged, not sent again.
      if (!answer.first && answer.providerMessageId)
        return { providerMessageId: answer.providerMessageId, status: 'submitted' };
      if (!answer.first)
        await this.store.accept(request.attemptId, request.workspaceId, providerMessageId, decision.reports);
      return { providerMessageId, status: 'submitted', segments: 1 };
    }
    const { call, providerMessageId: earlier } = await this.store.recordCall(
      request.attemptId,
      request.workspaceId,
      this.channel,
    );
    if (earlier) return { providerMessageId: earlier, status: 'submitted' };
    const decision = sandboxDecision(scenario, call, this.stepMs);
    if (!decision.accept) throw new ChannelSendError(decision.error);
    const providerMessageId = newProviderId();
    await this.store.accept(request.attemptId, request.workspaceId, providerMessageId, decision.reports);
    return { providerMessageId, status: 'submitted', segments: 1 };
  }

  async lookup(attemptId: string): Promise<SendResult | null> {
    const found = await this.store.find(attemptId);
    return found ? { providerMessageId: found.providerMessageId, status: 'submitted' } : null;
  }
}
