import type { ChannelContent, ChannelError } from '#libs/channels/src/index.js';
import type { AttemptStatus, Channel, MessageStatus, SuccessOn } from '#libs/core/src/index.js';

/** A message row as the dispatcher loads it (locked), with its attempts and the contact's consent. */
export interface DispatchMessage {
  id: string;
  workspaceId: string;
  status: MessageStatus;
  channel: Channel | null;
  channels: Channel[];
  recipient: { phone?: string; email?: string; viberId?: string } | null;
  content: Partial<Record<Channel, ChannelContent>> | null;
  successOn: SuccessOn;
  fallbackAfterMs: number;
  validUntil: Date | null;
  createdAt: Date;
  consent: Partial<Record<Channel, boolean>>;
  /** The WhatsApp content is a template (priced by category), not free-form text. */
  whatsappTemplate: boolean;
  /** The stored WhatsApp template the message names, as it is now (its status decides whether it may go out). */
  storedTemplate: { name: string; language: string; status: string; category: string | null } | null;
  /** The contact's 24 h customer-service window is open now (Meta prices by it). */
  whatsappWindowOpen: boolean;
  attempts: DispatchAttempt[];
}

export interface DispatchAttempt {
  id: string;
  seq: number;
  channel: Channel;
  provider: string | null;
  providerMessageId: string | null;
  status: AttemptStatus;
  error: ChannelError | null;
  tries: number;
  inFlightSince: Date | null;
  submittedAt: Date | null;
  /** WhatsApp: the pricing category when it was sent (template category, or SERVICE for text). */
  priceCategory?: string | null;
  /** WhatsApp: whether the customer-service window was open when it was sent. */
  inServiceWindow?: boolean | null;
}

export interface NewEvent {
  type: string;
  channel?: Channel | null;
  attemptId?: string | null;
  detail?: string;
  data?: unknown;
}
