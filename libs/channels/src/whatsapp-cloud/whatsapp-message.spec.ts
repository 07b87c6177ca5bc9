import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ChannelSendError } from '../channel.port.js';
import { buildWhatsAppMessage, whatsAppTemplateComponents, WHATSAPP_TEXT_MAX } from './whatsapp-message.js';

const FIXTURES = new URL('../../../../test/fixtures/providers/', import.meta.url);
const fixture = (name: string): any => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const PHONE = '+16505551234';
/** A fixture request with its `{{Recipient-Phone-Number}}` placeholder filled. */
const expected = (name: string): any => ({ ...fixture(name), to: PHONE.slice(1) });

function refusal(build: () => unknown): ChannelSendError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ChannelSendError);
    return error as ChannelSendError;
  }
  throw new Error('expected the content to be refused');
}

/** The body parameters of Meta's template fixtures, as a Herald caller passes them. */
const fixtureBodyParameters = () =>
  fixture('whatsapp-send-template-text-request.json').template.components[0].parameters;

describe(buildWhatsAppMessage.name, () => {
  it('should build the text message of the fixture, with the number stripped of its +', () => {
    expect(buildWhatsAppMessage(PHONE, { text: 'text-message-content' })).toEqual(
      expected('whatsapp-send-text-request.json'),
    );
  });

  it('should build the template message of the fixture from body parameters', () => {
    const body = buildWhatsAppMessage(PHONE, {
      text: 'ignored when a template is given',
      template: {
        name: 'template-name',
        language: 'language-and-locale-code',
        parameters: { body: fixtureBodyParameters() },
      },
    });
    expect(body).toEqual(expected('whatsapp-send-template-text-request.json'));
  });

  it('should build the media template of the fixture from a header and body parameters', () => {
    const body = buildWhatsAppMessage(PHONE, {
      template: {
        name: 'template-name',
        language: 'language-and-locale-code',
        parameters: {
          header: [{ type: 'image', image: { link: 'http(s)://the-image-url' } }],
          body: fixtureBodyParameters(),
        },
      },
    });
    expect(body).toEqual(expected('whatsapp-send-template-media-request.json'));
  });

  it('should turn plain strings into text parameters, header before body', () => {
    const body = buildWhatsAppMessage(PHONE, {
      template: { name: 'cart_reminder', language: 'en_US', parameters: { body: ['Ana', 42], header: 'Your cart' } },
    });
    expect(body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '16505551234',
      type: 'template',
      template: {
        name: 'cart_reminder',
        language: { code: 'en_US' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: 'Your cart' }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: '42' },
            ],
          },
        ],
      },
    });
  });

  it('should send a template without parameters with no components and the default language', () => {
    expect(buildWhatsAppMessage(PHONE, { template: { name: 'hello_world' } })).toMatchObject({
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US' } },
    });
    expect(buildWhatsAppMessage(PHONE, { template: { name: 'hello_world' } })).not.toHaveProperty(
      'template.components',
    );
  });

  it('should refuse an address that is not a phone number', () => {
    expect(refusal(() => buildWhatsAppMessage('ana@example.com', { text: 'Hi' })).error).toMatchObject({
      kind: 'INVALID_ADDRESS',
      permanent: true,
    });
  });

  it('should refuse empty or over-long text', () => {
    expect(refusal(() => buildWhatsAppMessage(PHONE, {})).error).toMatchObject({
      kind: 'CONTENT_REJECTED',
      code: 'EMPTY_CONTENT',
      permanent: true,
    });
    expect(refusal(() => buildWhatsAppMessage(PHONE, { text: 'x'.repeat(WHATSAPP_TEXT_MAX + 1) })).error).toMatchObject(
      {
        code: 'TEXT_TOO_LONG',
      },
    );
    expect(buildWhatsAppMessage(PHONE, { text: '😀'.repeat(WHATSAPP_TEXT_MAX) })).toMatchObject({ type: 'text' });
  });
});

describe(whatsAppTemplateComponents.name, () => {
  it('should build URL and quick-reply buttons by position, skipping null', () => {
    expect(
      whatsAppTemplateComponents({
        buttons: [
          'order/1001',
          null,
          { subType: 'quick_reply', payload: 'STOP' },
          { subType: 'url', text: 'x', index: 5 },
        ],
      }),
    ).toEqual([
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'order/1001' }] },
      { type: 'button', sub_type: 'quick_reply', index: '2', parameters: [{ type: 'payload', payload: 'STOP' }] },
      { type: 'button', sub_type: 'url', index: '5', parameters: [{ type: 'text', text: 'x' }] },
    ]);
  });

  it("should send a NAMED body as Meta's parameter_name parameters", () => {
    expect(
      whatsAppTemplateComponents({
        body: {
          first_name: 'Jessica',
          order_total: { type: 'currency', currency: { amount_1000: 100990, code: 'USD', fallback_value: '$100.99' } },
          count: 3,
        },
      }),
    ).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', parameter_name: 'first_name', text: 'Jessica' },
          {
            type: 'currency',
            parameter_name: 'order_total',
            currency: { amount_1000: 100990, code: 'USD', fallback_value: '$100.99' },
          },
          { type: 'text', parameter_name: 'count', text: '3' },
        ],
      },
    ]);
    expect(whatsAppTemplateComponents({ body: {} })).toEqual([]);
    expect(refusal(() => whatsAppTemplateComponents({ body: { first_name: null } })).error.code).toBe(
      'INVALID_TEMPLATE_PARAMETERS',
    );
  });

  it('should not change the Meta parameter objects it is given', () => {
    const total = { type: 'currency', currency: { amount_1000: 1000, code: 'USD', fallback_value: '$1' } };
    whatsAppTemplateComponents({ body: { total } });
    expect(total).not.toHaveProperty('parameter_name');
  });

  it('should build a copy-code button with its coupon code', () => {
    expect(whatsAppTemplateComponents({ buttons: [null, { subType: 'copy_code', couponCode: 'SAVE25' }] })).toEqual([
      {
        type: 'button',
        sub_type: 'copy_code',
        index: '1',
        parameters: [{ type: 'coupon_code', coupon_code: 'SAVE25' }],
      },
    ]);
    expect(refusal(() => whatsAppTemplateComponents({ buttons: [{ subType: 'copy_code' }] })).error.code).toBe(
      'INVALID_TEMPLATE_PARAMETERS',
    );
  });

  it('should refuse parameters it cannot map', () => {
    expect(refusal(() => whatsAppTemplateComponents({ footer: ['x'] })).error).toMatchObject({
      kind: 'CONTENT_REJECTED',
      code: 'INVALID_TEMPLATE_PARAMETERS',
      permanent: true,
    });
    expect(refusal(() => whatsAppTemplateComponents({ body: [{ text: 'no type' }] })).error.code).toBe(
      'INVALID_TEMPLATE_PARAMETERS',
    );
    expect(refusal(() => whatsAppTemplateComponents({ buttons: 'x' })).error.code).toBe('INVALID_TEMPLATE_PARAMETERS');
    expect(refusal(() => whatsAppTemplateComponents({ buttons: [{ subType: 'call' }] })).error.code).toBe(
      'INVALID_TEMPLATE_PARAMETERS',
    );
  });
});
