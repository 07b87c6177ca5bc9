import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { ChannelSendError } from '#libs/channels/src/index.js';
import {
  TemplateRefusedError,
  WHATSAPP_CLOUD_PROVIDER,
  WhatsAppTemplateApi,
  type MetaTemplate,
  type TemplateDefinition,
} from '#libs/channels/src/whatsapp-cloud/index.js';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { HeraldError } from '../common/herald-error.js';

const CALL_TIMEOUT_MS = 15_000;
/** A WABA holds at most a few thousand templates; this bounds a runaway cursor loop. */
const MAX_PAGES = 200;

export const SANDBOX_TEMPLATES = 'sandbox';

/**
 * Meta's template management API behind its own circuit breaker (the send breaker is for messages: a template
 * refusal says nothing about the health of sending). A refusal is Meta's answer about this template, so it
 * does not count as a failure; transport errors, 5xx and auth problems do.
 */
@Injectable()
export class TemplateGateway implements OnApplicationShutdown {
  private readonly logger = new Logger(TemplateGateway.name);
  private readonly api: WhatsAppTemplateApi | null;
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown> | null;
  /** Why template management is unavailable, when it is (WhatsApp configured without a WABA id). */
  readonly unavailableReason: string | null;
  /** The WABA whose webhooks we take template events from (null in the sandbox). */
  readonly accountId: string | null;

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    const whatsapp = config.whatsapp;
    this.unavailableReason =
      whatsapp && !whatsapp.wabaId ? 'WhatsApp template management needs WHATSAPP_WABA_ID' : null;
    this.accountId = whatsapp?.wabaId ?? null;
    if (whatsapp?.wabaId) {
      this.api = new WhatsAppTemplateApi({
        accessToken: whatsapp.accessToken,
        wabaId: whatsapp.wabaId,
        graphUrl: whatsapp.graphUrl,
        apiVersion: whatsapp.apiVersion,
      });
      this.breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
        timeout: CALL_TIMEOUT_MS,
        errorThresholdPercentage: 50,
        volumeThreshold: 5,
        resetTimeout: config.breakerResetMs,
        errorFilter: (error: unknown) =>
          error instanceof TemplateRefusedError || (error instanceof ChannelSendError && error.error.permanent),
      });
      this.breaker.on('open', () => this.logger.warn('WhatsApp template API circuit breaker opened'));
    } else {
      this.api = null;
      this.breaker = null;
    }
  }

  /** `whatsapp-cloud` when templates go to Meta, `sandbox` when WhatsApp is not configured. */
  get provider(): string {
    return this.api ? WHATSAPP_CLOUD_PROVIDER : SANDBOX_TEMPLATES;
  }

  async create(definition: TemplateDefinition): Promise<{ id: string; status: string; category: string }> {
    return this.call((api) => api.create(definition));
  }

  /** Every template in the WABA, following Meta's paging. */
  async listAll(): Promise<MetaTemplate[]> {
    const all: MetaTemplate[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.call((api) => api.listPage(after));
      all.push(...result.templates);
      if (!result.after) return all;
      after = result.after;
    }
    throw new HeraldError('PROVIDER_UNAVAILABLE', `Meta's template list did not end after ${MAX_PAGES} pages`);
  }

  async delete(name: string, providerTemplateId?: string): Promise<void> {
    await this.call((api) => api.delete(name, providerTemplateId));
  }

  /**
   * Runs a call through the breaker. Meta's refusal becomes 422 TEMPLATE_REFUSED with Meta's code and message;
   * anything else that stops the call is 503 PROVIDER_UNAVAILABLE (nothing was created).
   */
  private async call<T>(run: (api: WhatsAppTemplateApi) => Promise<T>): Promise<T> {
    const api = this.api;
    if (!api || !this.breaker) {
      throw new HeraldError('PROVIDER_UNAVAILABLE', this.unavailableReason ?? 'WhatsApp is not configured');
    }
    try {
      return (await this.breaker.fire(() => run(api))) as T;
    } catch (error) {
      if (error instanceof TemplateRefusedError) {
        const refusal = error.refusal;
        const detail = refusal.userMessage ?? refusal.message;
        throw new HeraldError(
          'TEMPLATE_REFUSED',
          `Meta refused the template: ${refusal.message} (code ${refusal.code}${refusal.subcode ? `, subcode ${refusal.subcode}` : ''})`,
          [{ field: 'template', issue: detail }],
          {
            provider: {
              name: WHATSAPP_CLOUD_PROVIDER,
              httpStatus: refusal.httpStatus,
              code: refusal.code,
              ...(refusal.subcode ? { subcode: refusal.subcode } : {}),
              message: refusal.message,
              ...(refusal.userTitle ? { userTitle: refusal.userTitle } : {}),
              ...(refusal.userMessage ? { userMessage: refusal.userMessage } : {}),
              ...(refusal.fbtraceId ? { fbtraceId: refusal.fbtraceId } : {}),
            },
          },
        );
      }
      if (error instanceof HeraldError) throw error;
      const code =
        error instanceof ChannelSendError ? error.error.code : ((error as { code?: string }).code ?? 'PROVIDER_ERROR');
      const why =
        code === 'EOPENBREAKER'
          ? "Meta's template API is failing; the circuit breaker is open"
          : error instanceof ChannelSendError
            ? `Meta's template API did not answer usefully: ${error.error.message}`
            : "Meta's template API did not answer";
      throw new HeraldError('PROVIDER_UNAVAILABLE', why, [], { provider: { name: WHATSAPP_CLOUD_PROVIDER, code } });
    }
  }

  onApplicationShutdown(): void {
    this.breaker?.shutdown();
  }
}
