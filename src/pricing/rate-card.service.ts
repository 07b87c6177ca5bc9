import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  phoneCountry,
  priceFor,
  WHATSAPP_CATEGORIES,
  type RateCard,
  type WhatsAppCategory,
} from '#libs/core/src/index.js';
import { SANDBOX_PROVIDER, type StatusReport } from '#libs/channels/src/index.js';
import type { DispatchAttempt, DispatchMessage } from '../dispatch/dispatch.types.js';
import { DEFAULT_RATE_CARD } from './default-rate-card.js';

export type Cost = { amount: string; currency: string };
/** Prices one attempt (null: no charge to record, e.g. the sandbox, whose reports carry cost 0). */
export type PriceAttempt = (
  message: DispatchMessage,
  attempt: DispatchAttempt,
  segments?: number,
  billing?: StatusReport['pricing'],
) => Cost | null;

/** Meta's pricing categories (lower case, with variants such as authentication_international) → the card's. */
function categoryOf(category: string | undefined): WhatsAppCategory | undefined {
  const upper = category?.toUpperCase();
  return WHATSAPP_CATEGORIES.find((known) => upper?.startsWith(known));
}

/** Rate cards per workspace (the shipped example card when a workspace has none), and pricing with them. */
@Injectable()
export class RateCardService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(workspaceId: string): Promise<{ card: RateCard; updatedAt: Date | null }> {
    const rows: { card: RateCard; updated_at: Date }[] = await this.db.query(
      `SELECT card, updated_at FROM rate_cards WHERE workspace_id = $1`,
      [workspaceId],
    );
    return rows[0]
      ? { card: rows[0].card, updatedAt: new Date(rows[0].updated_at) }
      : { card: DEFAULT_RATE_CARD, updatedAt: null };
  }

  async put(workspaceId: string, card: RateCard): Promise<void> {
    await this.db.query(
      `INSERT INTO rate_cards (workspace_id, card) VALUES ($1, $2)
       ON CONFLICT (workspace_id) DO UPDATE SET card = EXCLUDED.card, updated_at = now()`,
      [workspaceId, JSON.stringify(card)],
    );
  }

  /** A pricer for a batch of messages: one query for all their workspaces' cards. */
  async pricer(workspaceIds: string[]): Promise<PriceAttempt> {
    const ids = [...new Set(workspaceIds)];
    const rows: { workspace_id: string; card: RateCard }[] = ids.length
      ? await this.db.query(`SELECT workspace_id, card FROM rate_cards WHERE workspace_id = ANY($1)`, [ids])
      : [];
    const cards = new Map(rows.map((row) => [row.workspace_id, row.card]));
    return (message, attempt, segments, billing) => {
      if (!attempt.provider || attempt.provider === SANDBOX_PROVIDER) return null;
      const card = cards.get(message.workspaceId) ?? DEFAULT_RATE_CARD;
      // The provider's own word on billing wins over the estimate: not billable, or a free entry point/window.
      if (billing?.billable === false || billing?.type?.startsWith('free'))
        return { amount: '0', currency: card.currency };
      const billed = categoryOf(billing?.category);
      const phone = message.recipient?.phone;
      // Meta charges a template by its category when it was sent (recorded on the attempt); free-form text can
      // only go out inside the customer-service window, which is free. Meta's own word (billed) wins.
      const estimate =
        categoryOf(attempt.priceCategory ?? undefined) ??
        (message.whatsappTemplate
          ? (categoryOf(message.storedTemplate?.category ?? undefined) ?? 'MARKETING')
          : 'SERVICE');
      return priceFor(card, {
        channel: attempt.channel,
        country: phone ? phoneCountry(phone) : null,
        segments,
        category: attempt.channel === 'whatsapp' ? (billed ?? estimate) : undefined,
        // Meta's pricing type settles free windows; without it, the window as it was at send time.
        inServiceWindow: billing?.type ? false : (attempt.inServiceWindow ?? undefined),
      });
    };
  }
}
