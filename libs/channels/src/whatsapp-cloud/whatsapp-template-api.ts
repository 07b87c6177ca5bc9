import axios, { type AxiosInstance } from 'axios';
import { ChannelSendError } from '../channel.port.js';
import { graphFailure, graphRequest } from './graph-request.js';
import type { TemplateDefinition } from './whatsapp-templates.js';

export interface WhatsAppTemplateApiConfig {
  accessToken: string;
  /** The WhatsApp Business Account that owns the templates. */
  wabaId: string;
  /** Graph API base, e.g. `https://graph.facebook.com` (a local fake in tests). */
  graphUrl: string;
  /** e.g. `v23.0`. */
  apiVersion: string;
  timeoutMs?: number;
}

/** One template as Meta lists it. */
export interface MetaTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: unknown[];
  previousCategory?: string;
  parameterFormat?: string;
  rejectedReason?: string;
}

/** Meta's answer when it refuses a template (or a template call): its error object, in our words. */
export interface TemplateRefusal {
  httpStatus: number;
  /** Meta's `code`, e.g. "100". */
  code: string;
  /** Meta's `error_subcode`, e.g. "2388023". */
  subcode?: string;
  type?: string;
  message: string;
  /** Meta's `error_user_title` and `error_user_msg`, written for the person who made the template. */
  userTitle?: string;
  userMessage?: string;
  fbtraceId?: string;
}

/** Meta refused this template or call for a reason about the template itself; retrying the same call cannot help. */
export class TemplateRefusedError extends Error {
  constructor(readonly refusal: TemplateRefusal) {
    super(refusal.userMessage || refusal.message);
    this.name = 'TemplateRefusedError';
  }
}

/** What we read of Meta's Graph API `error`. */
interface GraphError {
  code?: unknown;
  error_subcode?: unknown;
  type?: unknown;
  message?: unknown;
  error_user_title?: unknown;
  error_user_msg?: unknown;
  fbtrace_id?: unknown;
}

const LIST_FIELDS = [
  'id',
  'name',
  'language',
  'status',
  'category',
  'components',
  'previous_category',
  'parameter_format',
  'rejected_reason',
].join(',');
const LIST_LIMIT = 100;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Meta's ids come as strings, sometimes as JSON numbers. */
function id(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
  return null;
}

/** A scalar Meta may send as a number (codes) as a string; anything else is dropped. */
function code(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return text(value);
}

const invalidResponse = (message: string): ChannelSendError =>
  new ChannelSendError({ kind: 'UNKNOWN', code: 'INVALID_RESPONSE', message, permanent: true });

function template(item: unknown): MetaTemplate | null {
  if (!isObject(item)) return null;
  const templateId = id(item.id);
  const name = text(item.name);
  if (!templateId || !name) return null;
  const previousCategory = text(item.previous_category);
  const parameterFormat = text(item.parameter_format);
  const rejectedReason = text(item.rejected_reason);
  return {
    id: templateId,
    name,
    language: text(item.language) ?? '',
    status: text(item.status) ?? '',
    category: text(item.category) ?? '',
    components: Array.isArray(item.components) ? item.components : [],
    ...(previousCategory ? { previousCategory } : {}),
    ...(parameterFormat ? { parameterFormat } : {}),
    ...(rejectedReason ? { rejectedReason } : {}),
  };
}

/**
 * Meta's template management API for one WhatsApp Business Account (`/{version}/{WABA-ID}/message_templates`).
 * Same conventions as the send adapter: every HTTP answer is classified, transport errors become TEMPORARY
 * ChannelSendErrors, and no axios error (which carries the token) ever leaves this class.
 */
export class WhatsAppTemplateApi {
  private readonly url: string;

  constructor(
    private readonly config: WhatsAppTemplateApiConfig,
    private readonly http: AxiosInstance = axios.create(),
  ) {
    const base = config.graphUrl.replace(/\/+$/, '');
    this.url = `${base}/${encodeURIComponent(config.apiVersion)}/${encodeURIComponent(config.wabaId)}/message_templates`;
  }

  /** POST /{version}/{WABA_ID}/message_templates; body {name, language, category, components, parameter_format?}. */
  async create(definition: TemplateDefinition): Promise<{ id: string; status: string; category: string }> {
    const body = {
      name: definition.name,
      language: definition.language,
      category: definition.category,
      components: definition.components,
      ...(definition.parameterFormat ? { parameter_format: definition.parameterFormat } : {}),
    };
    const data = await this.call('post', this.url, body);
    const templateId = isObject(data) ? id(data.id) : null;
    if (!templateId) {
      // Meta took the call but named no template: we cannot tell what it created.
      throw invalidResponse('WhatsApp accepted the template without an id');
    }
    const answer = data as Record<string, unknown>;
    return {
      id: templateId,
      status: text(answer.status) ?? 'PENDING',
      category: text(answer.category) ?? definition.category,
    };
  }

  /**
   * GET /{version}/{WABA_ID}/message_templates?fields=…&limit=100[&after=cursor]; returns the page and the
   * `after` cursor when `paging.next` is present (there is a next page), else null.
   */
  async listPage(after?: string): Promise<{ templates: MetaTemplate[]; after: string | null }> {
    const query = new URLSearchParams({ fields: LIST_FIELDS, limit: String(LIST_LIMIT) });
    if (after) query.set('after', after);
    const data = await this.call('get', `${this.url}?${query.toString()}`);
    if (!isObject(data) || !Array.isArray(data.data)) {
      throw invalidResponse('WhatsApp answered the template list without a data list');
    }
    const templates = data.data.map(template).filter((item): item is MetaTemplate => item !== null);
    const paging = isObject(data.paging) ? data.paging : undefined;
    const cursors = isObject(paging?.cursors) ? paging.cursors : undefined;
    const next = text(paging?.next) ? text(cursors?.after) : undefined;
    return { templates, after: next ?? null };
  }

  /** DELETE /{version}/{WABA_ID}/message_templates?name=…&hsm_id=… (every language of the name without an id). */
  async delete(name: string, providerTemplateId?: string): Promise<void> {
    const query = new URLSearchParams({ name });
    if (providerTemplateId) query.set('hsm_id', providerTemplateId);
    const data = await this.call('delete', `${this.url}?${query.toString()}`);
    if (isObject(data) && data.success === false) {
      throw invalidResponse('WhatsApp did not confirm the template deletion');
    }
  }

  /** One call; returns a 2xx body, else throws TemplateRefusedError or a classified ChannelSendError. */
  private async call(method: 'get' | 'post' | 'delete', url: string, body?: unknown): Promise<unknown> {
    const response = await graphRequest(this.http, this.config, method, url, body);
    if (response.status >= 200 && response.status < 300) return response.data;
    const classified = graphFailure(response);
    const error = isObject(response.data) && isObject(response.data.error) ? (response.data.error as GraphError) : null;
    const refused =
      error !== null &&
      response.status >= 400 &&
      response.status < 500 &&
      !['AUTH', 'RATE_LIMITED', 'TEMPORARY'].includes(classified.kind);
    if (!refused) throw new ChannelSendError(classified);
    const subcode = code(error.error_subcode);
    const type = text(error.type);
    const userTitle = text(error.error_user_title);
    const userMessage = text(error.error_user_msg);
    const fbtraceId = text(error.fbtrace_id);
    throw new TemplateRefusedError({
      httpStatus: response.status,
      code: code(error.code) ?? classified.code,
      ...(subcode ? { subcode } : {}),
      ...(type ? { type } : {}),
      message: text(error.message) ?? classified.message,
      ...(userTitle ? { userTitle } : {}),
      ...(userMessage ? { userMessage } : {}),
      ...(fbtraceId ? { fbtraceId } : {}),
    });
  }
}
