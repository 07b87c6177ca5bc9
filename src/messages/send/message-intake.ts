import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DateTime } from 'luxon';
import { createHash } from 'node:crypto';
import { addressFor, planNext, type PlannerInput } from '#libs/cascade/src/index.js';
import type { ChannelContent } from '#libs/channels/src/index.js';
import { templateParameterIssues, templateSlots } from '#libs/channels/src/whatsapp-cloud/index.js';
import {
  CHANNELS,
  isChannel,
  isEmail,
  lookupPath,
  normalizeLanguage,
  normalizePhone,
  parseDuration,
  phoneCountry,
  renderTemplate,
  type Channel,
  type SuccessOn,
} from '#libs/core/src/index.js';
import { callbackUrlIssue } from '../../callbacks/address-guard.js';
import { HeraldError, type ErrorDetail } from '../../common/herald-error.js';
import { newId } from '../../common/ids.js';
import { flattenValidationErrors } from '../../common/validation.js';
import { ChannelRegistry } from '../../channels/channel-registry.js';
import { ContactsService } from '../../contacts/contacts.service.js';
import type { HeraldConfig } from '../../config/config.js';
import { HERALD_CONFIG } from '../../config/config.module.js';
import type { ContactEntity } from '../../contacts/contact.entity.js';
import type { TemplateRow } from '../../templates/templates.store.js';
import { TemplatesService } from '../../templates/templates.service.js';
import { SendMessageRequest } from './send-message.request.dto.js';

export const DEFAULT_FALLBACK_MS = 60_000;
export const DEFAULT_VALIDITY_MS = 24 * 3_600_000;
const MAX_SCHEDULE_AHEAD_MS = 366 * 86_400_000;

/** A message as it will be inserted: validated, addressed and rendered. */
export interface NewMessage {
  id: string;
  workspaceId: string;
  status: 'accepted' | 'scheduled';
  channels: Channel[];
  contactId: string | null;
  recipient: { phone?: string; email?: string; viberId?: string };
  content: Partial<Record<Channel, ChannelContent>>;
  successOn: SuccessOn;
  fallbackAfterMs: number;
  validUntil: Date;
  sendAt: Date | null;
  callbackUrl: string | null;
  reference: string | null;
  metadata: Record<string, unknown> | null;
  idempotencyKey: string | null;
  requestHash: string;
  /** The recipient's country (ISO 3166 alpha-2) from the phone number, for reports; null without a phone. */
  country: string | null;
  /** The stored template each channel names (`{"whatsapp": "cart_reminder"}`), for reports; null when none. */
  templates: Partial<Record<Channel, string>> | null;
  /** Set when a trigger or broadcast made the message (API §7): which one, and which firing. */
  origin?: { triggerId: string | null; broadcastId: string | null; firingId: string };
}

/** Canonical JSON (sorted keys), so the same body hashes the same whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const requestHash = (body: unknown): string => createHash('sha256').update(canonicalJson(body)).digest('hex');

/**
 * Turns a request body into a message ready to insert, or throws a HeraldError with every problem found:
 * shape (400), addresses (400), missing variables and unreachable recipients (422).
 */
@Injectable()
export class MessageIntake {
  constructor(
    private readonly contacts: ContactsService,
    private readonly registry: ChannelRegistry,
    private readonly templates: TemplatesService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async parse(body: unknown): Promise<SendMessageRequest> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw HeraldError.validation([{ field: 'body', issue: 'must be a JSON object' }]);
    }
    const dto = plainToInstance(SendMessageRequest, body);
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
    const details = flattenValidationErrors(errors);
    if (Array.isArray(dto.channels)) {
      dto.channels.forEach((channel, index) => {
        if (!isChannel(channel))
          details.push({ field: `channels[${index}]`, issue: `must be one of ${CHANNELS.join(', ')}` });
      });
      if (new Set(dto.channels).size !== dto.channels.length)
        details.push({ field: 'channels', issue: 'channels must be distinct' });
    }
    if (details.length) throw HeraldError.validation(details);
    return dto;
  }

  async prepare(
    workspaceId: string,
    body: unknown,
    idempotencyKey: string | null,
    now = new Date(),
  ): Promise<NewMessage> {
    const dto = await this.parse(body);
    const details: ErrorDetail[] = [];
    const channels = dto.channels as Channel[];

    const fallbackAfterMs = dto.fallback?.after === undefined ? DEFAULT_FALLBACK_MS : parseDuration(dto.fallback.after);
    if (fallbackAfterMs === null || fallbackAfterMs < 1000 || fallbackAfterMs > 30 * 86_400_000) {
      details.push({ field: 'fallback.after', issue: 'a duration between 1s and 30d, e.g. "60s"' });
    }
    const validityMs = dto.validity === undefined ? DEFAULT_VALIDITY_MS : parseDuration(dto.validity);
    if (validityMs === null || validityMs < 1000 || validityMs > 30 * 86_400_000) {
      details.push({ field: 'validity', issue: 'a duration between 1s and 30d, e.g. "1h"' });
    }
    // Literal private addresses and localhost; names are checked after DNS resolution, at send time (API §9).
    const callbackIssue = dto.callbackUrl && callbackUrlIssue(dto.callbackUrl, this.config.allowPrivateCallbacks);
    if (callbackIssue) details.push({ field: 'callbackUrl', issue: callbackIssue });
    let sendAt: Date | null = null;
    if (dto.sendAt !== undefined) {
      // luxon refuses impossible dates (2026-02-30) that Date would roll over; no offset means UTC.
      const iso = DateTime.fromISO(dto.sendAt, { zone: 'utc' });
      const parsed = iso.toJSDate();
      if (!/^\d{4}-\d{2}-\d{2}T/.test(dto.sendAt) || !iso.isValid) {
        details.push({ field: 'sendAt', issue: 'an ISO 8601 date-time, e.g. 2026-12-24T09:00:00Z' });
      } else if (parsed.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS) {
        details.push({ field: 'sendAt', issue: 'at most one year ahead' });
      } else if (parsed.getTime() > now.getTime()) {
        sendAt = parsed;
      }
    }

    const recipient: NewMessage['recipient'] = {};
    if (dto.to.phone !== undefined) {
      const phone = normalizePhone(dto.to.phone);
      if (phone) recipient.phone = phone;
      else details.push({ field: 'to.phone', issue: 'not E.164' });
    }
    if (dto.to.email !== undefined) {
      const email = dto.to.email.trim().toLowerCase();
      if (isEmail(email)) recipient.email = email;
      else details.push({ field: 'to.email', issue: 'not an email address' });
    }
    if (dto.to.viberId !== undefined) recipient.viberId = dto.to.viberId;
    if (details.length) throw HeraldError.validation(details);

    let contact: ContactEntity | null = null;
    if (dto.to.contactId !== undefined) {
      contact = await this.contacts.find(workspaceId, dto.to.contactId);
      if (contact) {
        recipient.phone ??= contact.phone ?? undefined;
        recipient.email ??= contact.email ?? undefined;
        recipient.viberId ??= contact.viberId ?? undefined;
      } else if (!recipient.phone && !recipient.email && !recipient.viberId) {
        throw new HeraldError(
          'NO_REACHABLE_CHANNEL',
          `Contact ${dto.to.contactId} does not exist and no address was given`,
          [{ field: 'to.contactId', issue: 'unknown contact' }],
        );
      }
    } else if (!recipient.phone && !recipient.email && !recipient.viberId) {
      throw HeraldError.validation([{ field: 'to', issue: 'give a contactId, phone, email or viberId' }]);
    }

    const stored = await this.storedTemplates(workspaceId, dto, channels, contact);
    const blocked = this.blockedChannels(dto, stored, contact, now);
    this.checkReachable(channels, recipient, contact, blocked);
    const content = this.render(dto, channels, contact, stored);
    return {
      id: newId('msg'),
      workspaceId,
      status: sendAt ? 'scheduled' : 'accepted',
      channels,
      contactId: dto.to.contactId ?? null,
      recipient,
      content,
      successOn: dto.fallback?.successOn ?? 'delivered',
      fallbackAfterMs: fallbackAfterMs!,
      validUntil: new Date((sendAt ?? now).getTime() + validityMs!),
      sendAt,
      callbackUrl: dto.callbackUrl ?? null,
      reference: dto.reference ?? null,
      metadata: dto.metadata ?? null,
      idempotencyKey,
      requestHash: requestHash(body),
      country: recipient.phone ? phoneCountry(recipient.phone) : null,
      templates: templateNames(dto, channels),
    };
  }

  /** Refuses a message that no channel could take right now (no address, no consent, not configured). */
  private checkReachable(
    channels: Channel[],
    recipient: NewMessage['recipient'],
    contact: ContactEntity | null,
    blocked: PlannerInput['blocked'],
  ): void {
    const decision = planNext({
      blocked,
      channels,
      successOn: 'delivered',
      attempts: [],
      recipient,
      consent: contact?.consent ?? {},
      available: this.registry.available(),
      event: { type: 'start' },
    });
    if (decision.action !== 'exhausted') return;
    const details = decision.skips.map((skip) => ({
      field: `channels[${channels.indexOf(skip.channel)}]`,
      issue: skip.reason,
    }));
    if (decision.skips.every((skip) => skip.code === 'NO_CONSENT')) {
      throw new HeraldError('NO_CONSENT', 'The contact has not consented to any of the channels', details);
    }
    if (decision.skips.every((skip) => skip.code === 'TEMPLATE_NOT_APPROVED')) {
      throw new HeraldError(
        'TEMPLATE_NOT_APPROVED',
        `The WhatsApp ${decision.skips[0].reason}; only APPROVED templates can be sent`,
        details.map((d) => ({ ...d, field: 'content.whatsapp.template' })),
      );
    }
    throw new HeraldError('NO_REACHABLE_CHANNEL', 'None of the channels can reach this recipient', details);
  }

  /**
   * The stored templates a message names: `content.whatsapp.template.name` (with its language, or the only
   * language registered), and `content.<channel>.template` for the other channels (the contact's locale picks
   * among languages). A name that is not registered is a 422 TEMPLATE_NOT_FOUND.
   */
  private async storedTemplates(
    workspaceId: string,
    dto: SendMessageRequest,
    channels: Channel[],
    contact: ContactEntity | null,
  ): Promise<StoredTemplates> {
    const refs: { channel: Channel; name: string }[] = [];
    for (const channel of channels) {
      const ref = dto.content[channel]?.template;
      if (ref === undefined) continue;
      refs.push({ channel, name: typeof ref === 'string' ? ref : ref.name });
    }
    const found: StoredTemplates = { content: {} };
    if (!refs.length) return found;
    const rows = await this.templates.forSend(workspaceId, refs);
    const details: ErrorDetail[] = [];
    for (const { channel, name } of refs) {
      const candidates = rows.filter((row) => row.channel === channel && row.name === name);
      if (channel === 'whatsapp') {
        const language = dto.content.whatsapp?.template?.language;
        const row = language
          ? candidates.find((c) => c.language === language)
          : candidates.length === 1
            ? candidates[0]
            : undefined;
        if (row) found.whatsapp = row;
        else if (!language && candidates.length > 1)
          details.push({
            field: 'content.whatsapp.template.language',
            issue: `${name} exists in ${candidates.map((c) => c.language).join(', ')}: say which`,
          });
        // Not registered: Herald cannot know it is APPROVED, so it is treated like one that is not (API §5).
        else found.whatsappUnregistered = { name, language: language ?? '' };
        continue;
      }
      const locale = contact?.locale ? normalizeLanguage(contact.locale) : undefined;
      const row =
        candidates.find((c) => locale && c.language === locale) ??
        candidates.find((c) => locale && c.language && locale.startsWith(`${c.language}_`)) ??
        candidates.find((c) => c.language === '') ??
        candidates[0];
      if (row?.content) found.content[channel] = row.content;
      else details.push({ field: `content.${channel}.template`, issue: `no ${channel} template ${name}` });
    }
    if (details.length) {
      throw new HeraldError('TEMPLATE_NOT_FOUND', 'The message names a template that is not registered', details);
    }
    return found;
  }

  /**
   * WhatsApp is blocked for this message when its template is not APPROVED (or not registered) and free-form
   * text cannot stand in.
   */
  private blockedChannels(
    dto: SendMessageRequest,
    stored: StoredTemplates,
    contact: ContactEntity | null,
    now: Date,
  ): PlannerInput['blocked'] {
    const template = stored.whatsapp ?? stored.whatsappUnregistered;
    if (!template || stored.whatsapp?.status === 'APPROVED') return {};
    const text = dto.content.whatsapp?.text ?? dto.content.text;
    const windowOpen = (contact?.whatsappWindowOpenUntil?.getTime() ?? 0) > now.getTime();
    if (text !== undefined && windowOpen) return {};
    return {
      whatsapp: {
        code: 'TEMPLATE_NOT_APPROVED',
        reason: stored.whatsapp
          ? `template ${template.name} (${template.language}) is ${stored.whatsapp.status}`
          : `template ${template.name}${template.language ? ` (${template.language})` : ''} is not registered: register it with POST /v1/templates`,
      },
    };
  }

  private render(
    dto: SendMessageRequest,
    channels: Channel[],
    contact: ContactEntity | null,
    stored: StoredTemplates,
  ): NewMessage['content'] {
    const variables = dto.variables ?? {};
    const contactScope = contact
      ? {
          ...contact.attributes,
          externalId: contact.externalId,
          phone: contact.phone,
          email: contact.email,
          locale: contact.locale,
        }
      : {};
    const lookup = (path: string): unknown => {
      const own = lookupPath(variables, path);
      if (own !== undefined) return own;
      if (path.startsWith('contact.')) return lookupPath(contactScope, path.slice('contact.'.length));
      return contact ? lookupPath(contact.attributes, path) : undefined;
    };
    const missing = new Map<string, string>();
    const details: ErrorDetail[] = [];
    const text = (value: string | undefined, field: string): string | undefined => {
      if (value === undefined) return undefined;
      const result = renderTemplate(value, lookup);
      for (const name of result.missing) if (!missing.has(name)) missing.set(name, field);
      return result.text;
    };

    const content: NewMessage['content'] = {};
    for (const channel of channels) {
      // A stored template gives the fields the message does not set itself.
      const template = stored.content[channel];
      const own = (template ? { ...template, ...withoutTemplate(dto.content[channel]) } : dto.content[channel]) as
        (Record<string, unknown> & ContentFields) | undefined;
      const from = (key: string) =>
        template && own?.[key] === template[key] ? `content.${channel}.template` : `content.${channel}.${key}`;
      const field = own?.text !== undefined ? from('text') : 'content.text';
      const body = text(own?.text ?? dto.content.text, field);
      const rendered: ChannelContent = {};
      if (body !== undefined) rendered.text = body;
      if (channel === 'whatsapp' && dto.content.whatsapp?.template) {
        const ref = dto.content.whatsapp.template;
        rendered.template = this.whatsappTemplate(stored.whatsapp ?? null, ref, (value) =>
          text(value, 'content.whatsapp.template.parameters'),
        );
      }
      if (channel === 'viber') {
        if (own?.imageUrl) rendered.imageUrl = text(own.imageUrl, from('imageUrl'));
        if (own?.button) {
          rendered.button = {
            text: text(own.button.text, from('button'))!,
            url: text(own.button.url, from('button'))!,
          };
        }
      }
      if (channel === 'rcs' && own?.suggestions) {
        rendered.suggestions = deepRender(own.suggestions, (value) => text(value, from('suggestions'))) as unknown[];
      }
      if (channel === 'email') {
        rendered.subject = text(own?.subject, from('subject'));
        rendered.html = text(own?.html, from('html'));
        if (rendered.subject === undefined)
          details.push({ field: 'content.email.subject', issue: 'required when email is a channel' });
        if (rendered.text === undefined && rendered.html !== undefined) delete rendered.text;
      }
      const hasBody =
        rendered.text !== undefined ||
        rendered.template !== undefined ||
        rendered.html !== undefined ||
        rendered.imageUrl !== undefined;
      if (!hasBody)
        details.push({
          field: `content.${channel}`,
          issue: `no content for ${channel}: give content.text or content.${channel}`,
        });
      content[channel] = rendered;
    }
    if (missing.size > 0) {
      throw new HeraldError(
        'MISSING_VARIABLE',
        `No value for ${[...missing.keys()].map((name) => `{{${name}}}`).join(', ')}`,
        [...missing].map(([name, field]) => ({ field: `variables.${name}`, issue: `missing, used in ${field}` })),
      );
    }
    if (details.length) throw HeraldError.validation(details);
    return content;
  }

  /**
   * A stored WhatsApp template as the message sends it: `{{variables}}` in its parameters filled, and the
   * parameters matched against the template's placeholders (422 TEMPLATE_PARAMETERS_MISMATCH names the template).
   */
  private whatsappTemplate(
    row: TemplateRow | null,
    ref: { name: string; language?: string; parameters?: Record<string, unknown> },
    render: (value: string) => string | undefined,
  ): NonNullable<ChannelContent['template']> {
    const filled =
      ref.parameters === undefined ? undefined : (deepRender(ref.parameters, render) as Record<string, unknown>);
    // An unregistered template never goes out (the dispatcher skips it); it is kept as the message named it.
    if (!row)
      return {
        name: ref.name,
        ...(ref.language ? { language: ref.language } : {}),
        ...(filled ? { parameters: filled } : {}),
      };
    const issues = templateParameterIssues(
      templateSlots(row.category ?? '', row.components ?? [], row.parameter_format ?? undefined),
      filled,
    );
    if (issues.length) {
      throw new HeraldError(
        'TEMPLATE_PARAMETERS_MISMATCH',
        `Template ${row.name} (${row.language}): ${issues.map((i) => `${i.field} ${i.issue}`).join('; ')}`,
        issues.map((i) => ({
          field: `content.whatsapp.template.parameters.${i.field}`,
          issue: `${row.name}: ${i.issue}`,
        })),
      );
    }
    return { id: row.id, name: row.name, language: row.language, ...(filled ? { parameters: filled } : {}) };
  }
}

interface StoredTemplates {
  whatsapp?: TemplateRow;
  whatsappUnregistered?: { name: string; language: string };
  content: Partial<Record<Channel, Record<string, unknown>>>;
}

/** A channel's own content fields as the request gives them (before rendering). */
type ContentFields = Omit<ChannelContent, 'template'>;

/** Every string inside a JSON value through `render` (RCS suggestions carry text and postback data). */
function deepRender(value: unknown, render: (value: string) => string | undefined): unknown {
  if (typeof value === 'string') return render(value);
  if (Array.isArray(value)) return value.map((item) => deepRender(item, render));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepRender(v, render)]));
  }
  return value;
}

/** The template each channel of the message names, as reports group them (null when none does). */
function templateNames(dto: SendMessageRequest, channels: Channel[]): NewMessage['templates'] {
  const names: Partial<Record<Channel, string>> = {};
  for (const channel of channels) {
    const ref = dto.content[channel]?.template;
    if (ref !== undefined) names[channel] = typeof ref === 'string' ? ref : ref.name;
  }
  return Object.keys(names).length ? names : null;
}

function withoutTemplate(content: object | undefined): Record<string, unknown> {
  const { template: _template, ...rest } = (content ?? {}) as Record<string, unknown>;
  void _template;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}

export { addressFor };
