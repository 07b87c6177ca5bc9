/** What the source tells about the contact: only values that passed validation (phone in E.164). */
export interface IngestContact {
  email?: string;
  phone?: string;
  timezone?: string;
  locale?: string;
  attributes?: Record<string, unknown>;
}

/** A Segment call or Shopify webhook, translated into Herald's event shape (`POST /v1/events`). */
export interface IngestEvent {
  /** De-duplication key: Segment `messageId`; Shopify `X-Shopify-Webhook-Id`, else `shopify:{topic}:{id}:{updated_at}`. */
  id?: string;
  /** The contact's external id. */
  contactId: string;
  event: string;
  properties: Record<string, unknown>;
  /** ISO 8601 (UTC) time the customer acted. */
  timestamp?: string;
  contact?: IngestContact;
  /** `identify` updates the contact only; it is not a behavioural event. */
  kind: 'track' | 'identify';
}

export interface MapIssue {
  field: string;
  issue: string;
}

/**
 * The events that could be built, and the problems met on the way. An issue does not always cost an event:
 * an unreadable timestamp is dropped (the time received applies) and the event kept.
 */
export type MapResult = { events: IngestEvent[]; issues: MapIssue[] };
