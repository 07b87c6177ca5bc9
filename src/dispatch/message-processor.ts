import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { addressFor, planNext, type CascadeEvent } from '#libs/cascade/src/index.js';
import { ChannelSendError, type ChannelError, type SendResult } from '#libs/channels/src/index.js';
import { canMoveMessage, isAttemptFailure, reaches, type Channel } from '#libs/core/src/index.js';
import { ChannelRegistry } from '../channels/channel-registry.js';
import { newId } from '../common/ids.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { MetricsService } from '../observability/metrics.service.js';
import { DispatchStore } from './dispatch.store.js';
import type { DispatchAttempt, DispatchMessage, NewEvent } from './dispatch.types.js';
import { StatusIngestService } from './status-ingest.service.js';

export const MAX_TRIES = 5;

/** Errors that mean "this channel cannot take it" rather than "it failed": the attempt is skipped. */
const SKIP_KINDS = new Set<ChannelError['kind']>(['NOT_REACHABLE', 'NO_CONSENT', 'TEMPLATE_NOT_APPROVED']);

type Step =
  | { kind: 'none' }
  | { kind: 'submit'; attempt: { id: string; channel: Channel; address: string; tries: number }; recovering: boolean };

/**
 * One dispatcher step for one message: decide under the message's row lock, call the provider outside any
 * transaction, record the answer under the lock again. An attempt is marked in flight (committed) before the
 * provider call, so a crash in between is recognised later and never produces a second submission.
 */
@Injectable()
export class MessageProcessor {
  private readonly logger = new Logger(MessageProcessor.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly store: DispatchStore,
    private readonly registry: ChannelRegistry,
    private readonly ingest: StatusIngestService,
    private readonly metrics: MetricsService,
  ) {}

  async process(workspaceId: string, id: string): Promise<void> {
    const step = await this.db.transaction((manager) => this.decide(manager, workspaceId, id));
    if (step.kind === 'none') return;
    const { attempt } = step;
    let result: SendResult | null = null;
    let error: ChannelError | null = null;
    const provider = this.registry.provider(attempt.channel);
    try {
      if (step.recovering && !provider?.lookup) {
        // Without a way to ask the provider, resending could deliver twice: at most once wins.
        throw new ChannelSendError({ kind: 'UNKNOWN', code: 'OUTCOME_UNKNOWN', message: 'Interrupted during submission; not resent to avoid a duplicate', permanent: true });
      }
      if (step.recovering) result = await provider!.lookup!(attempt.id);
      if (!result) {
        const message = await this.loadContent(workspaceId, id, attempt.channel);
        result = await this.registry.send({
          attemptId: attempt.id,
          workspaceId,
          channel: attempt.channel,
          address: attempt.address,
          content: message.content,
          validUntil: message.validUntil ?? undefined,
        });
      }
    } catch (caught) {
      error =
        caught instanceof ChannelSendError
          ? caught.error
          : { kind: 'UNKNOWN', code: 'PROVIDER_ERROR', message: 'Provider call failed', permanent: false };
      if (!(caught instanceof ChannelSendError)) this.logger.warn({ err: caught, messageId: id }, 'provider call failed');
    }
    const wake = await this.db.transaction((manager) => this.record(manager, workspaceId, id, attempt, provider?.name ?? 'none', result, error));
    if (wake) this.wake?.();
  }

  /** Set by the dispatcher: work became due now. */
  wake?: () => void;

  private async loadContent(workspaceId: string, id: string, channel: Channel) {
    const rows: { content: Record<string, unknown> | null; valid_until: Date | null }[] = await this.db.query(
      `SELECT content -> $3 AS content, valid_until FROM messages WHERE id = $1 AND workspace_id = $2`,
      [id, workspaceId, channel],
    );
    return { content: rows[0]?.content ?? {}, validUntil: rows[0]?.valid_until ?? null };
  }

  private async decide(manager: Parameters<DispatchStore['lock']>[0], workspaceId: string, id: string): Promise<Step> {
    const message = await this.store.lock(manager, workspaceId, id);
    if (!message) return { kind: 'none' };
    const events: NewEvent[] = [];
    const finish = async (step: Step, patch: Parameters<DispatchStore['updateMessage']>[3]): Promise<Step> => {
      await this.store.updateMessage(manager, workspaceId, id, patch);
      await this.store.addEvents(manager, workspaceId, id, events);
      return step;
    };

    if (['failed', 'expired', 'rejected', 'canceled'].includes(message.status)) return finish({ kind: 'none' }, { dueAt: null });
    const now = new Date();
    const succeeded = message.attempts.some((a) => reaches(a.status, message.successOn));
    if (succeeded) return finish({ kind: 'none' }, { dueAt: null });

    if (message.validUntil && message.validUntil <= now) {
      await this.store.endQueuedAttempts(manager, workspaceId, id, 'expired', { kind: 'UNKNOWN', code: 'VALIDITY_EXPIRED', message: 'validity ended before submission', permanent: true });
      if (!canMoveMessage(message.status, 'expired')) {
        // Delivered short of a stricter successOn (e.g. "read"): statuses only move forward, so it stays delivered.
        events.push({ type: 'cascade.ended', detail: `validity ended before ${message.successOn}; no further attempts` });
        return finish({ kind: 'none' }, { dueAt: null });
      }
      events.push({ type: 'message.expired', detail: 'validity ended; no further attempts' });
      this.metrics.finished.inc({ status: 'expired' });
      return finish({ kind: 'none' }, { status: 'expired', dueAt: null });
    }

    const last = message.attempts.at(-1);
    if (last && last.status === 'queued') {
      if (last.inFlightSince) {
        // The previous worker died between marking the attempt and recording the provider's answer.
        events.push({ type: 'attempt.recovering', channel: last.channel, attemptId: last.id, detail: 'resuming an interrupted submission' });
        await this.store.addEvents(manager, workspaceId, id, events);
        return { kind: 'submit', attempt: this.submission(message, last), recovering: true };
      }
      await this.store.startRetry(manager, workspaceId, last.id);
      events.push({ type: 'attempt.retrying', channel: last.channel, attemptId: last.id, detail: `try ${last.tries + 1} of ${MAX_TRIES}` });
      return finish({ kind: 'submit', attempt: { ...this.submission(message, last), tries: last.tries + 1 }, recovering: false }, { status: message.status === 'sending' ? undefined : 'sending', dueAt: this.lease() });
    }

    let event: CascadeEvent = { type: 'start' };
    if (last && !isAttemptFailure(last.status)) {
      // In flight: only the fallback timer brings us here.
      const deadline = new Date(last.submittedAt!.getTime() + message.fallbackAfterMs);
      const hasNext = message.channels.indexOf(last.channel) < message.channels.length - 1;
      if (!hasNext || deadline > now) return finish({ kind: 'none' }, { dueAt: this.nextTimer(message, last) });
      event = { type: 'timeout', channel: last.channel, afterMs: message.fallbackAfterMs };
      events.push({ type: 'attempt.timeout', channel: last.channel, attemptId: last.id, detail: `no ${message.successOn} within ${Math.round(message.fallbackAfterMs / 1000)}s` });
    } else if (last) {
      event = last.status === 'skipped' ? { type: 'attempt-skipped', channel: last.channel, code: last.error?.code } : { type: 'attempt-failed', channel: last.channel, code: last.error?.code };
    }

    const decision = planNext({
      channels: message.channels,
      successOn: message.successOn,
      attempts: message.attempts.map((a) => ({ channel: a.channel, status: a.status, errorCode: a.error?.code })),
      recipient: message.recipient ?? {},
      consent: message.consent,
      available: this.registry.available(),
      event,
    });
    let seq = last?.seq ?? 0;
    if (decision.action === 'send' || decision.action === 'exhausted') {
      for (const skip of decision.skips) {
        const attemptId = newId('att');
        await this.store.insertAttempt(manager, message, { id: attemptId, seq: ++seq, channel: skip.channel, provider: null, status: 'skipped', inFlight: false, error: { kind: skip.code === 'NO_CONSENT' ? 'NO_CONSENT' : 'NOT_REACHABLE', code: skip.code, message: skip.reason, permanent: true } });
        events.push({ type: 'attempt.skipped', channel: skip.channel, attemptId, detail: skip.reason });
        this.metrics.attempts.inc({ channel: skip.channel, status: 'skipped' });
      }
    }
    if (decision.action === 'send') {
      const attemptId = newId('att');
      const provider = this.registry.provider(decision.channel)!;
      await this.store.insertAttempt(manager, message, { id: attemptId, seq: seq + 1, channel: decision.channel, provider: provider.name, status: 'queued', inFlight: true });
      events.push({ type: 'cascade.next', channel: decision.channel, attemptId, detail: decision.reason });
      return finish(
        { kind: 'submit', attempt: { id: attemptId, channel: decision.channel, address: decision.address, tries: 1 }, recovering: false },
        { status: message.status === 'sending' || message.status === 'sent' ? undefined : 'sending', channel: decision.channel, dueAt: this.lease() },
      );
    }
    if (decision.action === 'exhausted') {
      const inFlight = message.attempts.some((a) => a.status !== 'queued' && !isAttemptFailure(a.status));
      if (inFlight) {
        events.push({ type: 'cascade.exhausted', detail: `${decision.reason}; waiting for the last attempt until validity ends` });
        return finish({ kind: 'none' }, { dueAt: message.validUntil });
      }
      const anyTried = message.attempts.some((a) => a.status !== 'skipped');
      const status = anyTried ? 'failed' : 'rejected';
      events.push({ type: `message.${status}`, detail: decision.reason });
      this.metrics.finished.inc({ status });
      return finish({ kind: 'none' }, { status, dueAt: null });
    }
    return finish({ kind: 'none' }, { dueAt: last ? this.nextTimer(message, last) : message.validUntil });
  }

  private submission(message: DispatchMessage, attempt: DispatchAttempt) {
    return { id: attempt.id, channel: attempt.channel, address: addressFor(attempt.channel, message.recipient ?? {}) ?? '', tries: attempt.tries };
  }

  /** While a worker holds a message, its due time is a lease: if the worker dies, another takes over after it. */
  private lease(): Date {
    return new Date(Date.now() + Math.max(60_000, this.config.shutdownGraceMs * 2));
  }

  /** When an in-flight attempt needs looking at again: its fallback deadline if a later channel exists, else validity's end. */
  private nextTimer(message: DispatchMessage, attempt: { channel: Channel; submittedAt: Date | null }): Date | null {
    const hasNext = message.channels.indexOf(attempt.channel) < message.channels.length - 1;
    const deadline = hasNext && attempt.submittedAt ? new Date(attempt.submittedAt.getTime() + message.fallbackAfterMs) : null;
    const candidates = [deadline, message.validUntil].filter((d): d is Date => d !== null);
    return candidates.length ? new Date(Math.min(...candidates.map((d) => d.getTime()))) : null;
  }

  private backoffMs(tries: number): number {
    const base = this.config.retryBaseMs * 2 ** (tries - 1);
    return Math.min(base, 300_000) * (0.8 + Math.random() * 0.4);
  }

  private async record(
    manager: Parameters<DispatchStore['lock']>[0],
    workspaceId: string,
    id: string,
    attempt: { id: string; channel: Channel; tries: number },
    providerName: string,
    result: SendResult | null,
    error: ChannelError | null,
  ): Promise<boolean> {
    const message = await this.store.lock(manager, workspaceId, id);
    if (!message) return false;
    const events: NewEvent[] = [];
    let wake = false;
    if (result) {
      const submittedAt = await this.store.recordSubmitted(manager, workspaceId, attempt.id, { provider: providerName, ...result });
      events.push({ type: `attempt.${result.status}`, channel: attempt.channel, attemptId: attempt.id, detail: `submitted to ${providerName}` });
      this.metrics.attempts.inc({ channel: attempt.channel, status: result.status });
      this.metrics.dispatchLatency.observe({ channel: attempt.channel }, (submittedAt.getTime() - message.createdAt.getTime()) / 1000);
      const done = message.attempts.some((a) => a.id !== attempt.id && reaches(a.status, message.successOn));
      await this.store.updateMessage(manager, workspaceId, id, { dueAt: done ? null : this.nextTimer(message, { channel: attempt.channel, submittedAt }) });
      await this.store.addEvents(manager, workspaceId, id, events);
      const fresh = (await this.store.lock(manager, workspaceId, id))!;
      wake = await this.ingest.applyUnmatched(manager, fresh, attempt.id, providerName, result.providerMessageId);
      return wake;
    }
    const failure = error!;
    if (!failure.permanent && attempt.tries < MAX_TRIES) {
      const delay = failure.retryAfterSeconds ? failure.retryAfterSeconds * 1000 : this.backoffMs(attempt.tries);
      await this.store.recordError(manager, workspaceId, attempt.id, 'queued', failure);
      events.push({ type: 'attempt.retry_scheduled', channel: attempt.channel, attemptId: attempt.id, detail: `${failure.code}: ${failure.message}; retry in ${Math.round(delay)}ms`, data: { error: failure } });
      const retryAt = new Date(Date.now() + delay);
      const dueAt = message.validUntil && message.validUntil < retryAt ? message.validUntil : retryAt;
      await this.store.updateMessage(manager, workspaceId, id, { dueAt });
    } else {
      const status = SKIP_KINDS.has(failure.kind) ? 'skipped' : 'failed';
      await this.store.recordError(manager, workspaceId, attempt.id, status, failure);
      events.push({ type: `attempt.${status}`, channel: attempt.channel, attemptId: attempt.id, detail: `${failure.code}: ${failure.message}`, data: { error: failure } });
      this.metrics.attempts.inc({ channel: attempt.channel, status });
      await this.store.updateMessage(manager, workspaceId, id, { dueAt: 'now' });
      wake = true;
    }
    await this.store.addEvents(manager, workspaceId, id, events);
    return wake;
  }
}
