import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { IANAZone } from 'luxon';
import { DataSource, Repository } from 'typeorm';
import { CHANNELS, isEmail, normalizePhone, type Channel } from '#libs/core/src/index.js';
import { HeraldError, type ErrorDetail } from '../common/herald-error.js';
import { newId } from '../common/ids.js';
import { ContactEntity } from './contact.entity.js';
import type { PutContactRequest } from './contact.dto.js';

export interface ContactView {
  id: string;
  externalId: string;
  phone: string | null;
  email: string | null;
  viberId: string | null;
  timezone: string | null;
  locale: string | null;
  attributes: Record<string, unknown>;
  /** Every channel; a channel with no consent on record is `true` (Herald records opt-outs). */
  consent: Record<Channel, boolean>;
  whatsappWindowOpenUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

const EXTERNAL_ID = /^[\w.:@+-]{1,128}$/;

/**
 * The messages "about" a contact (m = messages; $1 workspace, $2 external id, $3 phone, $4 email, $5 Viber id):
 * sent to it by id or to any of its addresses. Export (Art. 15) and erasure (Art. 17) must cover the same set.
 */
const CONTACT_MESSAGES = `m.workspace_id = $1
  AND (m.contact_id = $2
       OR ($3::text IS NOT NULL AND m.recipient->>'phone' = $3)
       OR ($4::text IS NOT NULL AND m.recipient->>'email' = $4)
       OR ($5::text IS NOT NULL AND m.recipient->>'viberId' = $5))`;

export function contactView(contact: ContactEntity): ContactView {
  return {
    id: contact.externalId,
    externalId: contact.externalId,
    phone: contact.phone,
    email: contact.email,
    viberId: contact.viberId,
    timezone: contact.timezone,
    locale: contact.locale,
    attributes: contact.attributes,
    consent: Object.fromEntries(CHANNELS.map((c) => [c, contact.consent[c] !== false])) as Record<Channel, boolean>,
    whatsappWindowOpenUntil: contact.whatsappWindowOpenUntil?.toISOString() ?? null,
    createdAt: contact.createdAt.toISOString(),
    updatedAt: contact.updatedAt.toISOString(),
  };
}

export function checkExternalId(externalId: string): void {
  if (!EXTERNAL_ID.test(externalId)) {
    throw HeraldError.validation([
      { field: 'externalId', issue: '1-128 characters of letters, digits and . _ : @ + -' },
    ]);
  }
}

@Injectable()
export class ContactsService {
  constructor(
    @InjectRepository(ContactEntity) private readonly contacts: Repository<ContactEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  find(workspaceId: string, externalId: string): Promise<ContactEntity | null> {
    return this.contacts.findOne({ where: { workspaceId, externalId } });
  }

  async get(workspaceId: string, externalId: string): Promise<ContactEntity> {
    const contact = await this.find(workspaceId, externalId);
    if (!contact) throw HeraldError.notFound('Contact');
    return contact;
  }

  async upsert(workspaceId: string, externalId: string, body: PutContactRequest): Promise<ContactEntity> {
    checkExternalId(externalId);
    const problems: ErrorDetail[] = [];
    const patch: Partial<ContactEntity> = {};
    if (body.phone !== undefined) {
      patch.phone = body.phone === null ? null : normalizePhone(body.phone);
      if (body.phone !== null && patch.phone === null) problems.push({ field: 'phone', issue: 'not E.164' });
    }
    if (body.email !== undefined) {
      patch.email = body.email === null ? null : body.email.trim().toLowerCase();
      if (patch.email !== null && !isEmail(patch.email))
        problems.push({ field: 'email', issue: 'not an email address' });
    }
    if (body.viberId !== undefined) patch.viberId = body.viberId;
    if (body.timezone !== undefined) {
      patch.timezone = body.timezone;
      if (body.timezone !== null && !IANAZone.isValidZone(body.timezone))
        problems.push({ field: 'timezone', issue: 'not an IANA time zone' });
    }
    if (body.locale !== undefined) patch.locale = body.locale;
    if (problems.length) throw HeraldError.validation(problems);

    // One statement, so concurrent upserts of the same contact cannot both insert.
    const id = newId('ctc');
    await this.db.query(
      `INSERT INTO contacts (id, workspace_id, external_id) VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id, external_id) DO NOTHING`,
      [id, workspaceId, externalId],
    );
    return this.db.transaction(async (manager) => {
      const repo = manager.getRepository(ContactEntity);
      const contact = await repo.findOne({ where: { workspaceId, externalId }, lock: { mode: 'pessimistic_write' } });
      if (!contact) throw HeraldError.notFound('Contact');
      Object.assign(contact, patch);
      if (body.attributes) contact.attributes = { ...contact.attributes, ...body.attributes };
      if (body.consent) {
        const consent = { ...contact.consent };
        for (const channel of CHANNELS)
          if (body.consent[channel] !== undefined) consent[channel] = body.consent[channel];
        contact.consent = consent;
      }
      contact.updatedAt = new Date();
      return repo.save(contact);
    });
  }

  /** GDPR Art. 17: the contact row, and the addresses and bodies of its messages; counts stay. */
  async erase(workspaceId: string, externalId: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const contact = await manager.getRepository(ContactEntity).findOne({ where: { workspaceId, externalId } });
      if (!contact) throw HeraldError.notFound('Contact');
      await manager.query(
        `UPDATE messages m SET recipient = NULL, content = NULL, contact_id = NULL, erased_at = now(), updated_at = now()
          WHERE m.erased_at IS NULL AND ${CONTACT_MESSAGES}`,
        [workspaceId, externalId, contact.phone, contact.email, contact.viberId],
      );
      await manager.query(
        `UPDATE attempts a SET raw = NULL FROM messages m
                            WHERE m.id = a.message_id AND m.workspace_id = $1 AND a.workspace_id = $1
                              AND m.erased_at IS NOT NULL AND a.raw IS NOT NULL`,
        [workspaceId],
      );
      // What customers did (event properties may hold anything) goes; firings keep their counts, not the person.
      await manager.query(`DELETE FROM events WHERE workspace_id = $1 AND contact_id = $2`, [workspaceId, externalId]);
      for (const table of ['trigger_matches', 'trigger_contacts', 'firing_once']) {
        await manager.query(`DELETE FROM ${table} WHERE workspace_id = $1 AND contact_id = $2`, [
          workspaceId,
          externalId,
        ]);
      }
      await manager.query(
        `UPDATE firings SET status = CASE WHEN status = 'waiting' THEN 'canceled' ELSE status END,
                reason = CASE WHEN status = 'waiting' THEN 'contact_erased' ELSE reason END,
                due_at = NULL, contact_id = 'erased:' || id, variables = NULL, match_key = NULL, updated_at = now()
          WHERE workspace_id = $1 AND contact_id = $2`,
        [workspaceId, externalId],
      );
      await manager.getRepository(ContactEntity).delete({ id: contact.id, workspaceId });
    });
  }

  /** GDPR Art. 15: everything stored about the contact. */
  async export(workspaceId: string, externalId: string): Promise<Record<string, unknown>> {
    const contact = await this.get(workspaceId, externalId);
    const messages: Record<string, unknown>[] = await this.db.query(
      `SELECT m.id, m.status, m.channel, m.channels, m.recipient, m.content, m.reference, m.metadata, m.created_at AS "createdAt",
              COALESCE((SELECT json_agg(json_build_object('channel', a.channel, 'provider', a.provider, 'status', a.status,
                         'providerMessageId', a.provider_message_id, 'submittedAt', a.submitted_at, 'deliveredAt', a.delivered_at)
                         ORDER BY a.seq) FROM attempts a WHERE a.message_id = m.id AND a.workspace_id = $1), '[]') AS attempts
         FROM messages m
        WHERE ${CONTACT_MESSAGES}
        ORDER BY m.id`,
      [workspaceId, externalId, contact.phone, contact.email, contact.viberId],
    );
    const events: Record<string, unknown>[] = await this.db.query(
      `SELECT id, name AS event, kind, properties, occurred_at AS "timestamp", source, received_at AS "receivedAt"
         FROM events WHERE workspace_id = $1 AND contact_id = $2 ORDER BY occurred_at, id`,
      [workspaceId, externalId],
    );
    return { contact: contactView(contact), messages, events, exportedAt: new Date().toISOString() };
  }
}
