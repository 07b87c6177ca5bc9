import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseShopifyJson } from './shopify-json.js';
import { mapShopify } from './shopify.mapper.js';

type Json = Record<string, unknown>;

const raw = (name: string): Buffer =>
  readFileSync(new URL(`../../../test/fixtures/integrations/${name}`, import.meta.url));
/** Parsed as the webhook controller must: losslessly, since the sample ids have 18 digits. */
const fixture = (name: string): Json => parseShopifyJson(raw(name)) as Json;

const WEBHOOK_ID = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043';
const IPOD = { title: 'IPod Nano - 8GB', sku: 'IPOD2008PINK', quantity: 1, price: 199 };

describe('mapShopify', () => {
  it('should map the documented checkouts/create sample to checkout_started', () => {
    expect(mapShopify('checkouts/create', WEBHOOK_ID, fixture('shopify-checkouts-create.json'))).toEqual({
      events: [
        {
          id: WEBHOOK_ID,
          contactId: '603851970716743426',
          event: 'checkout_started',
          properties: {
            cartId: '123123123',
            checkoutToken: '123123123',
            cartToken: 'eeafa272cebfd4b22385bc4b645e762c',
            name: '#981820079255243537',
            cartUrl: 'https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token',
            total: 421.88,
            currency: 'USD',
            itemCount: 2,
            items: [IPOD, IPOD],
            shopifyCustomerId: '603851970716743426',
          },
          timestamp: '2022-01-01T00:00:00.000Z',
          // The sample's address phones ("555-555-BILL") are not numbers, so no phone.
          contact: { email: 'john@example.com', attributes: { firstName: 'John', lastName: 'Smith' } },
          kind: 'track',
        },
      ],
      issues: [],
    });
  });

  it('should map checkouts/update to checkout_updated at updated_at, keyed by topic, id and version without a webhook id', () => {
    const [event] = mapShopify('checkouts/update', undefined, fixture('shopify-checkouts-update.json')).events;
    expect(event).toMatchObject({
      id: 'shopify:checkouts/update:981820079255243537:2021-12-31T19:20:00-05:00',
      event: 'checkout_updated',
      timestamp: '2022-01-01T00:20:00.000Z',
      properties: { cartId: '123123123', checkoutId: '981820079255243537' },
    });
  });

  it('should map the documented orders/create sample to order_completed', () => {
    const result = mapShopify('orders/create', WEBHOOK_ID, fixture('shopify-orders-create.json'));
    expect(result.events).toEqual([
      {
        id: WEBHOOK_ID,
        contactId: '115310627314723954',
        event: 'order_completed',
        properties: {
          orderId: '820982911946154508',
          orderNumber: 1234,
          name: '#9999',
          total: 404.95,
          currency: 'USD',
          itemCount: 5,
          items: [
            { title: 'Aviator sunglasses', sku: 'SKU2006-001', quantity: 1, price: 89.99 },
            { title: 'Lens Protection Plan (2 Year)', sku: 'LENS-PROTECT-2YR', quantity: 1, price: 19.99 },
            { title: 'Premium Leather Case', sku: 'CASE-LEATHER-PREM', quantity: 1, price: 24.99 },
            { title: 'Mid-century lounger', sku: 'SKU2006-020', quantity: 1, price: 159.99 },
            { title: 'Coffee table', sku: 'SKU2006-035', quantity: 1, price: 119.99 },
          ],
          shopifyCustomerId: '115310627314723954',
        },
        timestamp: '2022-01-01T00:00:00.000Z',
        contact: { email: 'john@example.com', locale: 'en', attributes: { firstName: 'John', lastName: 'Smith' } },
        kind: 'track',
      },
    ]);
    // The sample order has checkout_token and cart_token null: a draft/admin order has no checkout to match.
    expect(result.issues).toEqual([
      { field: 'checkout_token', issue: 'no checkout token, cart token or checkout id: cannot be matched on cartId' },
    ]);
  });

  it('should give a checkout and the order that completes it the same cartId and contact', () => {
    const started = mapShopify('checkouts/create', 'w1', fixture('shopify-checkouts-create.json')).events[0];
    const updated = mapShopify('checkouts/update', 'w2', fixture('shopify-checkouts-update.json')).events[0];
    const completed = mapShopify('orders/create', 'w3', fixture('shopify-orders-create-matched.json'));
    expect(completed.issues).toEqual([]);
    const order = completed.events[0];
    expect(new Set([started, updated, order].map((e) => e.properties.cartId))).toEqual(new Set(['123123123']));
    expect(new Set([started, updated, order].map((e) => e.contactId))).toEqual(new Set(['603851970716743426']));
    expect(order.properties).toMatchObject({
      checkoutToken: '123123123',
      checkoutId: updated.properties.checkoutId,
      cartToken: started.properties.cartToken,
    });
  });

  it('should fall back to the cart token, then the checkout id, for cartId', () => {
    const { token: _token, ...noToken } = fixture('shopify-checkouts-update.json');
    expect(mapShopify('checkouts/update', 'w', noToken).events[0].properties.cartId).toBe(
      'eeafa272cebfd4b22385bc4b645e762c',
    );
    expect(mapShopify('checkouts/update', 'w', { ...noToken, cart_token: null }).events[0].properties.cartId).toBe(
      '981820079255243537',
    );
  });

  it('should refuse ids that lost digits to JSON.parse rather than name the wrong contact', () => {
    const lossy = JSON.parse(raw('shopify-orders-create.json').toString('utf8')) as Json;
    expect(mapShopify('orders/create', WEBHOOK_ID, lossy)).toEqual({
      events: [],
      issues: [
        {
          field: 'customer.id',
          issue: 'integer beyond 2^53 has lost digits: parse the body with parseShopifyJson',
        },
      ],
    });
  });

  it('should name a guest by email, else by phone from the checkout or its addresses', () => {
    const { customer: _customer, ...guest } = fixture('shopify-checkouts-create.json');
    expect(mapShopify('checkouts/create', 'w', guest).events[0]).toMatchObject({
      contactId: 'example@email.com',
      contact: { email: 'example@email.com' },
    });
    const phoneOnly = {
      ...guest,
      email: null,
      // National form: dropped, not guessed (normalizePhone would read it as +61, Australia).
      billing_address: { phone: '613-555-0101', country_code: 'CA' },
      shipping_address: { phone: '+44 7700 900123' },
    };
    expect(mapShopify('checkouts/create', 'w', phoneOnly).events[0]).toMatchObject({
      contactId: '+447700900123',
      contact: { phone: '+447700900123' },
    });
    expect(mapShopify('checkouts/create', 'w', { ...phoneOnly, shipping_address: null })).toEqual({
      events: [],
      issues: [{ field: 'customer', issue: 'no customer id, email or phone to name the contact' }],
    });
  });

  it('should prefer the customer phone and drop an invalid email', () => {
    const body = fixture('shopify-checkouts-create.json');
    body.customer = { ...(body.customer as Json), phone: '+16135550101', email: 'john at example' };
    expect(mapShopify('checkouts/create', 'w', body).events[0].contact).toEqual({
      email: 'example@email.com',
      phone: '+16135550101',
      attributes: { firstName: 'John', lastName: 'Smith' },
    });
  });

  it('should report a missing timestamp and keep the event without an id when nothing identifies the version', () => {
    const { updated_at: _updated, created_at: _created, ...body } = fixture('shopify-checkouts-create.json');
    const result = mapShopify('checkouts/create', undefined, body);
    expect(result.events[0].timestamp).toBeUndefined();
    expect(result.events[0].id).toBeUndefined();
    expect(result.issues).toEqual([{ field: 'created_at', issue: 'missing or not ISO 8601: time received used' }]);
  });

  it.each([
    ['products/create', 'unsupported topic "products/create"'],
    ['checkouts/delete', 'unsupported topic "checkouts/delete"'],
    ['', 'missing'],
  ])('should report topic %j on X-Shopify-Topic', (topic, issue) => {
    expect(mapShopify(topic, WEBHOOK_ID, fixture('shopify-checkouts-create.json'))).toEqual({
      events: [],
      issues: [{ field: 'X-Shopify-Topic', issue }],
    });
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', 'checkout'],
    ['a number', 7],
  ])('should report a body that is %s as an issue, not throw', (_label, body) => {
    const result = mapShopify('orders/create', WEBHOOK_ID, body);
    expect(result.events).toEqual([]);
    expect(result.issues).toEqual([{ field: 'body', issue: 'a JSON order object' }]);
  });

  it('should survive wrongly typed fields', () => {
    const body = {
      id: 'abc',
      customer: 'nobody',
      email: 'jane@example.com',
      line_items: [null, 3, { title: 42, quantity: '2', price: 'free' }],
      total_price: {},
      token: 5,
    };
    const [event] = mapShopify('checkouts/create', 'w', body).events;
    expect(event.contactId).toBe('jane@example.com');
    expect(event.properties).toEqual({
      itemCount: 2,
      items: [{ title: null, sku: null, quantity: 2, price: null }],
    });
  });
});
