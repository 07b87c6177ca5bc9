import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { WebhookEvent } from '#libs/channels/src/index.js';
import { normalizePhone, type Channel } from '#libs/core/src/index.js';
import { newId } from '../common/ids.js';

type InboundEvent = Extract<WebhookEvent, { kind: 'inbound' }>;
type ConsentEvent = Extract<WebhookEvent, { kind: 'consent' }>;

export const WHATSAPP_WINDOW_MS = 24 * 3_600_000;

/** The contacts column that holds a channel's address. */
function addressColumn(channel: Channel): 'phone' | 'viber_id' | 'email' {
  return channel === 'viber' ? 'viber_id' : channel === 'email' ? 'email' : 'phone';
}

function normalise(channel: Channel, address: string): string {
  if (addressColumn(channel) !== 'phone') return channel === 'email' ? address.toLowerCase() : address;
  return normalizePhone(address) ?? address;
}

/**
 * What customers send back: replies are stored per workspace, keywords and subscriptions change consent,
 * and an inbound WhatsApp message opens the contact's 24 h customer-service window. Provider credentials
 * are not per workspace, so an event applies to every workspace that has a contact with the sender's address.
 */
@Injectable()
export class InboundService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(events: WebhookEvent[]): Promise<void> {
    const inbound = events.filter((e): e is InboundEvent => e.kind === 'inbound');
    const consent = events.filter((e): e is ConsentEvent => e.kind === 'consent');
    if (!inbound.length && !consent.length) return;
    await this.db.transaction(async (manager) => {
      for (const event of inbound) await this.storeInbound(manager, event);
      for (const event of consent) await this.applyConsent(manager, event);
    });
  }

  private async contactsFor(manager: EntityManager, channel: Channel, address: string) {
    const rows: { workspace_id: string; external_id: string }[] = await manager.query(
      `SELECT workspace_id, external_id FROM contacts WHERE ${addressColumn(channel)} = $1`,
      [address],
    );
    return rows;
  }

  private async storeInbound(manager: EntityManager, event: InboundEvent): Promise<void> {
    const from = normalise(event.channel, event.from);
    const contacts = await this.contactsFor(manager, event.channel, from);
    for (const contact of contacts) {
      await manager.query(
        `INSERT INTO inbound_messages (id, workspace_id, channel, provider, provider_message_id, from_address, to_address, text, contact_id, received_at, raw)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (workspace_id, provider, provider_message_id) DO NOTHING`,
        [
          newId('in'),
          contact.workspace_id,
          event.channel,
          event.provider,
          event.providerMessageId,
          from,
          event.to ?? null,
          event.text ?? null,
          contact.external_id,
          event.at.toISOString(),
          event.raw === undefined ? null : JSON.stringify(event.raw),
        ],
      );
    }
    if (event.channel === 'whatsapp' && contacts.length) {
      await manager.query(
        `UPDATE contacts SET whatsapp_window_open_until = GREATEST(COALESCE(whatsapp_window_open_until, $2), $2), updated_at = now()
          WHERE phone = $1`,
        [from, new Date(event.at.getTime() + WHATSAPP_WINDOW_MS).toISOString()],
      );
    }
  }

  private async applyConsent(manager: EntityManager, event: ConsentEvent): Promise<void> {
    const address = normalise(event.channel, event.address);
    await manager.query(
      `UPDATE contacts SET consent = consent || jsonb_build_object($2::text, $3::boolean), updated_at = now()
        WHERE ${addressColumn(event.channel)} = $1`,
      [address, event.channel, event.granted],
    );
  }
}
