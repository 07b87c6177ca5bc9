import {
  decimal,
  isExternalId,
  isoTimestamp,
  isRecord,
  text,
  validEmail,
  validLocale,
  validPhone,
} from './field-values.js';
import type { IngestContact, MapIssue, MapResult } from './ingest-event.js';

type Payload = Record<string, unknown>;

interface Topic {
  event: string;
  /** The payload field that says when the customer acted. */
  at: 'created_at' | 'updated_at';
  resource: 'checkout' | 'order';
}

const TOPICS: Record<string, Topic> = {
  'checkouts/create': { event: 'checkout_started', at: 'created_at', resource: 'checkout' },
  'checkouts/update': { event: 'checkout_updated', at: 'updated_at', resource: 'checkout' },
  'orders/create': { event: 'order_completed', at: 'created_at', resource: 'order' },
};

/** Enough lines for any message template, and a bounded event: `itemCount` still counts every unit. */
const MAX_ITEMS = 100;
const MAX_ID = 255;

/**
 * A Shopify webhook (https://shopify.dev/docs/api/webhooks) → one Herald event. Parse the body with
 * `parseShopifyJson`: ids are 64-bit. Never throws; what cannot be mapped is reported by field.
 *
 * `properties.cartId` joins a checkout to the order that completes it (the cart-abandonment rule's `matchOn`): the
 * checkout's `token` is the order's `checkout_token`. `cart_token` is on both but may be null, and the latest
 * checkout payloads carry no `id`, so they are only fallbacks, in that order.
 */
export function mapShopify(topic: string, webhookId: string | undefined, body: unknown): MapResult {
  const spec = TOPICS[topic.trim()];
  if (!spec) {
    const issue = topic.trim() ? `unsupported topic "${topic.trim()}"` : 'missing';
    return { events: [], issues: [{ field: 'X-Shopify-Topic', issue }] };
  }
  if (!isRecord(body)) return { events: [], issues: [{ field: 'body', issue: `a JSON ${spec.resource} object` }] };

  const issues: MapIssue[] = [];
  const customer = isRecord(body.customer) ? body.customer : {};
  const customerId = idDigits(customer.id, 'customer.id', issues);
  if (customerId === null) return { events: [], issues };
  const contact = contactOf(body, customer);
  const contactId = [customerId, contact?.email, contact?.phone].find((id) => id !== undefined && isExternalId(id));
  if (contactId === undefined) {
    issues.push({ field: 'customer', issue: 'no customer id, email or phone to name the contact' });
    return { events: [], issues };
  }

  const properties = spec.resource === 'checkout' ? checkoutProperties(body, issues) : orderProperties(body, issues);
  if (properties === null) return { events: [], issues };
  if (customerId !== undefined) properties.shopifyCustomerId = customerId;
  if (properties.cartId === undefined) {
    const field = spec.resource === 'checkout' ? 'token' : 'checkout_token';
    issues.push({ field, issue: 'no checkout token, cart token or checkout id: cannot be matched on cartId' });
  }

  const timestamp = isoTimestamp(body[spec.at]);
  if (timestamp === undefined) issues.push({ field: spec.at, issue: 'missing or not ISO 8601: time received used' });
  const id = eventId(topic.trim(), webhookId, body, properties);
  return {
    events: [
      {
        ...(id !== undefined ? { id } : {}),
        contactId,
        event: spec.event,
        properties,
        ...(timestamp !== undefined ? { timestamp } : {}),
        ...(contact ? { contact } : {}),
        kind: 'track',
      },
    ],
    issues,
  };
}

/**
 * Exact digits of a Shopify integer id, or undefined when absent. A number past 2^53 has already lost digits
 * (the body went through `JSON.parse`): that is reported and yields null, never a wrong id.
 */
function idDigits(value: unknown, field: string, issues: MapIssue[]): string | undefined | null {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return String(value);
    issues.push({ field, issue: 'integer beyond 2^53 has lost digits: parse the body with parseShopifyJson' });
    return null;
  }
  if (typeof value === 'string' && /^\d{1,20}$/.test(value.trim())) return value.trim();
  return undefined;
}

function checkoutProperties(body: Payload, issues: MapIssue[]): Record<string, unknown> | null {
  const checkoutId = idDigits(body.id, 'id', issues);
  if (checkoutId === null) return null;
  const checkoutToken = text(body.token);
  const cartToken = text(body.cart_token);
  return compact({
    cartId: checkoutToken ?? cartToken ?? checkoutId,
    checkoutId,
    checkoutToken,
    cartToken,
    name: text(body.name),
    cartUrl: text(body.abandoned_checkout_url),
    ...money(body),
    ...lineItems(body.line_items),
  });
}

function orderProperties(body: Payload, issues: MapIssue[]): Record<string, unknown> | null {
  const orderId = idDigits(body.id, 'id', issues);
  const checkoutId = idDigits(body.checkout_id, 'checkout_id', issues);
  if (orderId === null || checkoutId === null) return null;
  const checkoutToken = text(body.checkout_token);
  const cartToken = text(body.cart_token);
  const orderNumber = body.order_number;
  return compact({
    cartId: checkoutToken ?? cartToken ?? checkoutId,
    orderId,
    checkoutId,
    checkoutToken,
    cartToken,
    orderNumber: typeof orderNumber === 'number' && Number.isSafeInteger(orderNumber) ? orderNumber : undefined,
    name: text(body.name),
    ...money(body),
    ...lineItems(body.line_items),
  });
}

function money(body: Payload): { total?: number; currency?: string } {
  return { total: decimal(body.total_price), currency: text(body.currency) ?? text(body.presentment_currency) };
}

interface Item {
  title: string | null;
  sku: string | null;
  quantity: number;
  price: number | null;
}

function lineItems(value: unknown): { itemCount: number; items: Item[] } | Record<string, never> {
  if (!Array.isArray(value)) return {};
  const items: Item[] = value.filter(isRecord).map((line) => {
    const quantity = decimal(line.quantity);
    return {
      title: text(line.title) ?? text(line.name) ?? null,
      sku: text(line.sku) ?? null,
      quantity: quantity !== undefined && quantity >= 0 ? quantity : 0,
      price: decimal(line.price) ?? null,
    };
  });
  return { itemCount: items.reduce((sum, item) => sum + item.quantity, 0), items: items.slice(0, MAX_ITEMS) };
}

/** The customer's own details first; the checkout's contact fields and then its addresses as fallbacks. */
function contactOf(body: Payload, customer: Payload): IngestContact | undefined {
  const address = (key: string): unknown => (isRecord(body[key]) ? (body[key] as Payload).phone : undefined);
  const email = [customer.email, body.email, body.contact_email].map(validEmail).find(Boolean);
  const phone = [customer.phone, body.phone, address('billing_address'), address('shipping_address')]
    .map(validPhone)
    .find(Boolean);
  const locale = validLocale(body.customer_locale);
  const attributes = compact({ firstName: text(customer.first_name), lastName: text(customer.last_name) });
  const contact: IngestContact = compact({ email, phone, locale });
  if (Object.keys(attributes).length) contact.attributes = attributes;
  return Object.keys(contact).length ? contact : undefined;
}

/** The webhook id is Shopify's per-delivery key; without it, the resource and its version stand in. */
function eventId(
  topic: string,
  webhookId: string | undefined,
  body: Payload,
  properties: Record<string, unknown>,
): string | undefined {
  const header = text(webhookId);
  if (header !== undefined && header.length <= MAX_ID) return header;
  const key = properties.orderId ?? properties.checkoutId ?? properties.checkoutToken;
  const version = text(body.updated_at);
  return key !== undefined && version !== undefined ? `shopify:${topic}:${String(key)}:${version}` : undefined;
}

function compact<T extends Record<string, unknown>>(record: T): T {
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return record;
}
