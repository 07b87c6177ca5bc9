import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DateTime } from 'luxon';
import { createHash } from 'node:crypto';
import { addressFor, planNext } from '#libs/cascade/src/index.js';
import type { ChannelContent } from '#libs/channels/src/index.js';
import {
  CHANNELS,
  isChannel,
  isEmail,
  lookupPath,
  normalizePhone,
  parseDuration,
  renderTemplate,
  type Channel,
  type SuccessOn,
} from '#libs/core/src/index.js';
import { HeraldError, type ErrorDetail } from '../../common/herald-error.js';
import { newId } from '../../common/ids.js';
import { flattenValidationErrors } from '../../common/validation.js';
import { ChannelRegistry } from '../../channels/channel-registry.js';
import { ContactsService } from '../../contacts/contacts.service.js';
import type { ContactEntity } from '../../contacts/contact.entity.js';
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

    this.checkReachable(channels, recipient, contact);
    const content = this.render(dto, channels, contact);
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
    };
  }

  /** Refuses a message that no channel could take right now (no address, no consent, not configured). */
  private checkReachable(channels: Channel[], recipient: NewMessage['recipient'], contact: ContactEntity | null): void {
    const decision = planNext({
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
    throw new HeraldError('NO_REACHABLE_CHANNEL', 'None of the channels can reach this recipient', details);
  }

  private render(dto: SendMessageRequest, channels: Channel[], contact: ContactEntity | null): NewMessage['content'] {
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
      const own = dto.content[channel];
      const field = own?.text !== undefined ? `content.${channel}.text` : 'content.text';
      const body = text(own?.text ?? dto.content.text, field);
      const rendered: ChannelContent = {};
      if (body !== undefined) rendered.text = body;
      if (channel === 'whatsapp' && dto.content.whatsapp?.template) {
        const template = dto.content.whatsapp.template;
        rendered.template = {
          name: template.name,
          language: template.language ?? 'en_US',
          parameters: template.parameters,
        };
      }
      if (channel === 'sms' && dto.content.sms?.template) rendered.template = { name: dto.content.sms.template };
      if (channel === 'viber') {
        if (dto.content.viber?.imageUrl) rendered.imageUrl = dto.content.viber.imageUrl;
        if (dto.content.viber?.button) rendered.button = dto.content.viber.button;
      }
      if (channel === 'rcs' && dto.content.rcs?.suggestions) rendered.suggestions = dto.content.rcs.suggestions;
      if (channel === 'email') {
        rendered.subject = text(dto.content.email?.subject, 'content.email.subject');
        rendered.html = text(dto.content.email?.html, 'content.email.html');
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
}

export { addressFor };
