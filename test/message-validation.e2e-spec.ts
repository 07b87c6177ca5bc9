import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startHerald, type TestHerald } from './support/herald.js';
import { expectError, fields, MessageApi, smsTo } from './message-api.helper.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; the waits below need more than 5 s.
jest.setTimeout(60_000);

const PHONE = '+447700900123';

describe('POST /v1/messages validation', () => {
  let herald: TestHerald;
  let api: MessageApi;

  beforeAll(async () => {
    herald = await startHerald();
    api = new MessageApi(herald, (await herald.createWorkspace('validation')).apiKey);
  });
  afterAll(() => herald.close());

  const post = (rawBody: string, headers: Record<string, string> = {}) =>
    herald.request('POST', '/v1/messages', { key: api.key, rawBody, headers });

  it('should answer 400 with the error body for malformed JSON', async () => {
    const error = expectError(await post('{"to": {"phone": '), 400, 'VALIDATION_FAILED');
    expect(fields(error)).toEqual(['body']);
  });

  it.each([
    [
      'U+0000 in the text',
      '{"to":{"phone":"+447700900123"},"channels":["sms"],"content":{"text":"a\\u0000b"}}',
      'content.text',
    ],
    [
      'a lone surrogate in a variable',
      '{"to":{"phone":"+447700900123"},"channels":["sms"],"content":{"text":"{{x}}"},"variables":{"x":"\\ud800"}}',
      'variables.x',
    ],
  ])('should answer 400 naming the field for text PostgreSQL cannot store: %s', async (_name, rawBody, field) => {
    const error = expectError(await post(rawBody), 400, 'VALIDATION_FAILED');
    expect(fields(error)).toEqual([field]);
  });

  it('should answer 400 with the error body for an empty JSON body', async () => {
    const error = expectError(await post(''), 400, 'VALIDATION_FAILED');
    expect(fields(error)).toEqual(['body']);
  });

  it.each([
    ['an array', '[1, 2]'],
    ['a string', '"hello"'],
    ['null', 'null'],
    ['a number', '42'],
  ])('should answer 400 when the body is %s', async (_name, rawBody) => {
    const error = expectError(await post(rawBody), 400, 'VALIDATION_FAILED');
    expect(fields(error)).toContain('body');
  });

  it.each([
    ['missing to', { channels: ['sms'], content: { text: 'Hi' } }, 'to'],
    ['to that is not an object', { to: 'someone', channels: ['sms'], content: { text: 'Hi' } }, 'to'],
    ['to without any address', { to: {}, channels: ['sms'], content: { text: 'Hi' } }, 'to'],
    ['a phone that is not E.164', { to: { phone: '12' }, channels: ['sms'], content: { text: 'Hi' } }, 'to.phone'],
    ['a phone of letters', { to: { phone: 'call me maybe' }, channels: ['sms'], content: { text: 'Hi' } }, 'to.phone'],
    [
      'a phone that is a number',
      { to: { phone: 447700900123 }, channels: ['sms'], content: { text: 'Hi' } },
      'to.phone',
    ],
    [
      'a bad email',
      { to: { email: 'not-an-email' }, channels: ['email'], content: { text: 'Hi', email: { subject: 'S' } } },
      'to.email',
    ],
    ['an unknown channel', { to: { phone: PHONE }, channels: ['pigeon'], content: { text: 'Hi' } }, 'channels[0]'],
    [
      'an unknown channel after a good one',
      { to: { phone: PHONE }, channels: ['sms', 'fax'], content: { text: 'Hi' } },
      'channels[1]',
    ],
    ['duplicate channels', { to: { phone: PHONE }, channels: ['sms', 'sms'], content: { text: 'Hi' } }, 'channels'],
    ['empty channels', { to: { phone: PHONE }, channels: [], content: { text: 'Hi' } }, 'channels'],
    ['channels that are not an array', { to: { phone: PHONE }, channels: 'sms', content: { text: 'Hi' } }, 'channels'],
    [
      'more than 5 channels',
      { to: { phone: PHONE }, channels: ['sms', 'whatsapp', 'viber', 'rcs', 'email', 'sms'], content: { text: 'Hi' } },
      'channels',
    ],
    ['missing content', { to: { phone: PHONE }, channels: ['sms'] }, 'content'],
    ['content with no body for the channel', { to: { phone: PHONE }, channels: ['sms'], content: {} }, 'content.sms'],
    [
      'an email channel without a subject',
      { to: { email: 'ana@example.com' }, channels: ['email'], content: { text: 'Hi' } },
      'content.email.subject',
    ],
    ['an unparseable validity', smsTo(PHONE, { validity: 'forever' }), 'validity'],
    ['a validity under a second', smsTo(PHONE, { validity: 0.5 }), 'validity'],
    ['a negative validity', smsTo(PHONE, { validity: -60 }), 'validity'],
    ['a validity over 30 days', smsTo(PHONE, { validity: '31d' }), 'validity'],
    ['a validity that is an object', smsTo(PHONE, { validity: { hours: 1 } }), 'validity'],
    ['an unparseable fallback.after', smsTo(PHONE, { fallback: { after: 'soon' } }), 'fallback.after'],
    ['a zero fallback.after', smsTo(PHONE, { fallback: { after: 0 } }), 'fallback.after'],
    ['an unknown fallback.successOn', smsTo(PHONE, { fallback: { successOn: 'clicked' } }), 'fallback.successOn'],
    ['a fallback that is not an object', smsTo(PHONE, { fallback: '60s' }), 'fallback'],
    ['a sendAt that is not a date', smsTo(PHONE, { sendAt: 'tomorrow' }), 'sendAt'],
    ['a sendAt that is a number', smsTo(PHONE, { sendAt: 1767225600 }), 'sendAt'],
    [
      'a sendAt more than a year ahead',
      smsTo(PHONE, { sendAt: new Date(Date.now() + 400 * 86_400_000).toISOString() }),
      'sendAt',
    ],
    ['an unknown top-level field', smsTo(PHONE, { priority: 'high' }), 'priority'],
    [
      'an unknown recipient field',
      { to: { phone: PHONE, fax: '+4420' }, channels: ['sms'], content: { text: 'Hi' } },
      'to.fax',
    ],
    ['a callbackUrl that is not a URL', smsTo(PHONE, { callbackUrl: 'not a url' }), 'callbackUrl'],
    ['a reference that is not a string', smsTo(PHONE, { reference: 1001 }), 'reference'],
    ['metadata that is not an object', smsTo(PHONE, { metadata: 'xmas' }), 'metadata'],
    ['variables that are not an object', smsTo(PHONE, { variables: 'Ana' }), 'variables'],
  ])('should answer 400 for %s, naming the field', async (_name, body, field) => {
    const error = expectError(await api.send(body), 400, 'VALIDATION_FAILED');
    expect(fields(error)).toContain(field);
  });

  it('should answer 422 MISSING_VARIABLE naming the variable', async () => {
    const answer = await api.send({
      to: { phone: PHONE },
      channels: ['sms'],
      content: { text: 'Hi {{name}}, see {{cartUrl}}' },
      variables: { cartUrl: 'https://shop.example/c/1' },
    });
    const error = expectError(answer, 422, 'MISSING_VARIABLE');
    expect(fields(error)).toEqual(['variables.name']);
  });

  it('should answer 422 for an unknown contact and no explicit address', async () => {
    const error = expectError(
      await api.send({ to: { contactId: 'nobody-here' }, channels: ['sms'], content: { text: 'Hi' } }),
      422,
      'NO_REACHABLE_CHANNEL',
    );
    expect(fields(error)).toEqual(['to.contactId']);
  });

  it('should answer 422 NO_CONSENT when the contact refused every channel', async () => {
    const put = await api.putContact('no-consent', { phone: PHONE, consent: { sms: false, whatsapp: false } });
    expect(put.status).toBe(200);
    const error = expectError(
      await api.send({ to: { contactId: 'no-consent' }, channels: ['whatsapp', 'sms'], content: { text: 'Hi' } }),
      422,
      'NO_CONSENT',
    );
    expect(fields(error).sort()).toEqual(['channels[0]', 'channels[1]']);
  });

  it('should answer 422 NO_REACHABLE_CHANNEL when no channel has an address', async () => {
    const error = expectError(
      await api.send({ to: { phone: PHONE }, channels: ['email'], content: { text: 'Hi', email: { subject: 'S' } } }),
      422,
      'NO_REACHABLE_CHANNEL',
    );
    expect(fields(error)).toEqual(['channels[0]']);
  });

  it('should answer 413 PAYLOAD_TOO_LARGE for a body over the limit', async () => {
    const answer = await api.send(smsTo(PHONE, { metadata: { blob: 'x'.repeat(11 * 1024 * 1024) } }));
    expectError(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('should answer 401 without an API key', async () => {
    const answer = await herald.request('POST', '/v1/messages', { body: smsTo(PHONE) });
    expectError(answer, 401, 'UNAUTHORIZED');
  });

  it('should answer 401 for a wrong API key, on send and on read', async () => {
    expectError(
      await herald.request('POST', '/v1/messages', { key: 'hk_not-a-real-key', body: smsTo(PHONE) }),
      401,
      'UNAUTHORIZED',
    );
    expectError(await herald.request('GET', '/v1/messages', { key: 'hk_not-a-real-key' }), 401, 'UNAUTHORIZED');
    expectError(
      await herald.request('GET', '/v1/messages', { headers: { authorization: `Basic ${api.key}` } }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('should echo X-Request-Id on errors and on success', async () => {
    const failed = await api.send(
      { to: { phone: '12' }, channels: ['sms'], content: { text: 'Hi' } },
      { 'x-request-id': 'req-validation-1' },
    );
    expect(failed.headers.get('x-request-id')).toBe('req-validation-1');
    expect(expectError(failed, 400, 'VALIDATION_FAILED').requestId).toBe('req-validation-1');

    const accepted = await api.send(smsTo(PHONE), { 'x-request-id': 'req-validation-2' });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-request-id')).toBe('req-validation-2');
  });

  it('should give a request id of its own when the client sends none', async () => {
    const answer = await api.send({ to: {}, channels: ['sms'], content: { text: 'Hi' } });
    const error = expectError(answer, 400, 'VALIDATION_FAILED');
    expect(answer.headers.get('x-request-id')).toBe(error.requestId);
  });

  it('should list every problem of a request at once', async () => {
    const error = expectError(
      await api.send({
        to: { phone: PHONE },
        channels: ['sms', 'sms'],
        content: { text: 'Hi' },
        validity: 'x',
        colour: 'red',
      }),
      400,
      'VALIDATION_FAILED',
    );
    expect(fields(error)).toEqual(expect.arrayContaining(['channels', 'colour']));
  });
});
