import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import {
  ChannelSendError,
  SandboxProvider,
  type ChannelProvider,
  type SendRequest,
  type SendResult,
  type WebhookHandler,
} from '#libs/channels/src/index.js';
import { CHANNELS, TokenBucket, type Channel } from '#libs/core/src/index.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { realProviders, type WebhookSource } from './provider-factory.js';
import { PgSandboxStore } from './sandbox.store.js';

const SEND_TIMEOUT_MS = 15_000;

export interface BreakerState {
  channel: Channel;
  provider: string;
  state: 'closed' | 'open' | 'half-open';
}

/**
 * The provider for each channel: a real adapter when its credentials are configured, else the sandbox
 * (unless HERALD_SANDBOX=false, which leaves the channel unavailable). Every call goes through the
 * provider's circuit breaker, with a timeout.
 */
@Injectable()
export class ChannelRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(ChannelRegistry.name);
  private readonly providers = new Map<Channel, ChannelProvider>();
  private readonly breakers = new Map<Channel, CircuitBreaker<[SendRequest], SendResult>>();
  private readonly availableChannels: ReadonlySet<Channel>;

  private readonly webhooks: ReadonlyMap<WebhookSource, WebhookHandler>;
  /** Per real provider: bursts wait here instead of drawing 429s (per process; N workers send up to N × rate). */
  private readonly limiters = new Map<Channel, TokenBucket>();

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig, sandboxStore: PgSandboxStore) {
    const real = realProviders(config);
    this.webhooks = real.webhooks;
    for (const channel of CHANNELS) {
      const provider = real.providers.get(channel);
      const rate = config.rateLimits[channel];
      if (provider && rate) this.limiters.set(channel, new TokenBucket(rate));
      if (provider) this.providers.set(channel, provider);
      else if (config.sandbox)
        this.providers.set(channel, new SandboxProvider(channel, sandboxStore, config.sandboxStepMs));
    }
    for (const [channel, provider] of this.providers) {
      const breaker = new CircuitBreaker((request: SendRequest) => provider.send(request), {
        timeout: SEND_TIMEOUT_MS,
        errorThresholdPercentage: 50,
        volumeThreshold: config.breakerVolume,
        resetTimeout: config.breakerResetMs,
        // A classified permanent answer (bad number, not on WhatsApp) means the provider is healthy.
        errorFilter: (error: unknown) => error instanceof ChannelSendError && error.error.permanent,
      });
      breaker.on('open', () => this.logger.warn({ channel, provider: provider.name }, 'circuit breaker opened'));
      breaker.on('close', () => this.logger.log({ channel, provider: provider.name }, 'circuit breaker closed'));
      this.breakers.set(channel, breaker);
    }
    this.availableChannels = new Set(this.providers.keys());
  }

  available(): ReadonlySet<Channel> {
    return this.availableChannels;
  }

  /** The webhook side of a configured provider; undefined when that provider is not configured. */
  webhook(source: WebhookSource): WebhookHandler | undefined {
    return this.webhooks.get(source);
  }

  provider(channel: Channel): ChannelProvider | undefined {
    return this.providers.get(channel);
  }

  /** Sends through the channel's breaker; breaker and timeout failures become TEMPORARY errors. */
  async send(request: SendRequest): Promise<SendResult> {
    const breaker = this.breakers.get(request.channel);
    if (!breaker) {
      throw new ChannelSendError({
        kind: 'UNKNOWN',
        code: 'CHANNEL_NOT_CONFIGURED',
        message: `${request.channel} is not configured`,
        permanent: true,
      });
    }
    await this.limiters.get(request.channel)?.take();
    try {
      return await breaker.fire(request);
    } catch (error) {
      if (error instanceof ChannelSendError) throw error;
      const code = (error as { code?: string }).code;
      const message =
        code === 'EOPENBREAKER'
          ? 'Provider circuit breaker is open'
          : code === 'ETIMEDOUT'
            ? 'Provider timed out'
            : 'Provider call failed';
      throw new ChannelSendError({ kind: 'TEMPORARY', code: code ?? 'PROVIDER_ERROR', message, permanent: false });
    }
  }

  breakerStates(): BreakerState[] {
    return [...this.breakers].map(([channel, breaker]) => ({
      channel,
      provider: this.providers.get(channel)!.name,
      state: breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed',
    }));
  }

  /** After the dispatcher has drained: stop the breakers' timers and close pooled connections (SMTP). */
  onApplicationShutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    for (const provider of this.providers.values()) provider.close?.();
  }
}
