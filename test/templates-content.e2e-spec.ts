import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { ownDatabase, useDatabase } from './support/processes.js';

/**
 * Stored content templates (sms, viber, rcs, email: APPROVED at once) and the WhatsApp template sandbox
 * (no WhatsApp credentials: PENDING, then decided by the worker a sandbox step later), API §4 and §5.
 *
 * GET /v1/messages/{id} does not show a message's content, so what the sandbox was handed is read from the
 * contact's GDPR export (GET /v1/contacts/{id}/export), whose `messages[].content` is the rendered content the
 * dispatcher gives the provider for each channel.
 */
describe('content templates and the WhatsApp template sandbox', () => {
  let herald: TestHerald;
  let key: string;

  beforeAll(async () => {
    useDatabase(await ownDatabase('content-templates'));
    // No provider credentials at all: every channel and the WhatsApp templates use the sandbox.
    herald = await startHerald();
    key = (await herald.createWorkspace('content-templates')).apiKey;
  });

  afterAll(async () => {
    await herald?.close();
  });

  const register = (body: unknown, as = key) => herald.request('POST', '/v1/templates', { key: as, body });
  const template = (id: string, as = key) =>
    herald.request('GET', `/v1/templates/${id}`, { key: as }).then((r) => r.body);
  const list = (query: string, as = key) => herald.request('GET', `/v1/templates?${query}`, { key: as });
  const send = (body: unknown) => herald.request('POST', '/v1/messages', { key, body });
  const message = (id: string) => herald.request('GET', `/v1/messages/${id}`, { key }).then((r) => r.body);
  const contact = async (externalId: string, body: Record<string, unknown>) => {
    const answer = await herald.request('PUT', `/v1/contacts/${externalId}`, { key, body });
    expect(answer.status).toBe(200);
  };
  const ended = (id: string) =>
    eventually(
      () => message(id),
      (m) => ['delivered', 'read', 'failed', 'expired', 'rejected', 'canceled'].includes(m.status),
    );
  /** The rendered content stored for a message (what the sandbox provider is handed), from the GDPR export. */
  const rendered = async (contactId: string, messageId: string) => {
    const exported = await herald.request('GET', `/v1/contacts/${contactId}/export`, { key });
    expect(exported.status).toBe(200);
    const found = exported.body.messages.find((m: { id: string }) => m.id === messageId);
    expect(found).toBeDefined();
    return found.content;
  };
  const fields = (answer: { body: { error: { details: { field: string }[] } } }) =>
    answer.body.error.details.map((d) => d.field);
  const steps = (history: { source: string; event: string; status: string }[]) =>
    history.map((h) => [h.source, h.event, h.status]);

  it('should store sms content APPROVED at once and send it with the variables filled', async () => {
    const created = await register({
      channel: 'sms',
      name: 'cart_reminder_sms',
      content: { text: 'Hi {{name}}, your cart is waiting: {{cartUrl}}' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^tpl_/),
      channel: 'sms',
      name: 'cart_reminder_sms',
      language: null,
      category: null,
      status: 'APPROVED',
      providerTemplateId: null,
      content: { text: 'Hi {{name}}, your cart is waiting: {{cartUrl}}' },
    });
    const stored = await template(created.body.id);
    expect(stored).toMatchObject({ id: created.body.id, status: 'APPROVED', channel: 'sms' });
    expect(steps(stored.history)).toEqual([['api', 'SUBMITTED', 'APPROVED']]);

    await contact('sms-ana', { phone: '+447700900501' });
    const sent = await send({
      to: { contactId: 'sms-ana' },
      channels: ['sms'],
      content: { sms: { template: 'cart_reminder_sms' } },
      variables: { name: 'Ana', cartUrl: 'https://shop.example/cart/1' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ id: expect.stringMatching(/^msg_/), status: 'accepted', channels: ['sms'] });
    const done = await ended(sent.body.id);
    expect(done).toMatchObject({ status: 'delivered', channel: 'sms' });
    expect(done.attempts).toEqual([
      expect.objectContaining({ channel: 'sms', provider: 'sandbox', status: 'delivered' }),
    ]);
    expect(await rendered('sms-ana', sent.body.id)).toEqual({
      sms: { text: 'Hi Ana, your cart is waiting: https://shop.example/cart/1' },
    });

    // Inline text beside the template wins over the stored one.
    const inline = await send({
      to: { contactId: 'sms-ana' },
      channels: ['sms'],
      content: { sms: { template: 'cart_reminder_sms', text: 'Last call, {{name}}!' } },
      variables: { name: 'Ana' },
    });
    expect(inline.status).toBe(202);
    expect((await ended(inline.body.id)).status).toBe('delivered');
    expect(await rendered('sms-ana', inline.body.id)).toEqual({ sms: { text: 'Last call, Ana!' } });

    // The stored template is per-channel content: it wins over the generic content.text.
    const generic = await send({
      to: { contactId: 'sms-ana' },
      channels: ['sms'],
      content: { text: 'Generic text', sms: { template: 'cart_reminder_sms' } },
      variables: { name: 'Ana', cartUrl: 'https://shop.example/cart/2' },
    });
    expect(generic.status).toBe(202);
    expect((await ended(generic.body.id)).status).toBe('delivered');
    expect(await rendered('sms-ana', generic.body.id)).toEqual({
      sms: { text: 'Hi Ana, your cart is waiting: https://shop.example/cart/2' },
    });
  });

  it('should send a stored email template with an inline subject overriding the stored one', async () => {
    const created = await register({
      channel: 'email',
      name: 'order_confirmation',
      content: {
        subject: 'Order {{order}} confirmed',
        text: 'Hi {{name}}, order {{order}} is confirmed.',
        html: '<p>Hi {{name}}, order <b>{{order}}</b> is confirmed.</p>',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ channel: 'email', status: 'APPROVED', language: null });

    await contact('mail-ana', { email: 'ana.orders@example.com', attributes: { name: 'Ana' } });
    const sent = await send({
      to: { contactId: 'mail-ana' },
      channels: ['email'],
      content: { email: { template: 'order_confirmation', subject: 'Your order {{order}}' } },
      variables: { order: 'A-1001' },
    });
    expect(sent.status).toBe(202);
    const done = await ended(sent.body.id);
    expect(done).toMatchObject({ status: 'delivered', channel: 'email' });
    expect(done.attempts).toEqual([
      expect.objectContaining({ channel: 'email', provider: 'sandbox', status: 'delivered' }),
    ]);
    // The inline subject wins; text and html come from the template; `name` from the contact's attributes.
    expect(await rendered('mail-ana', sent.body.id)).toEqual({
      email: {
        subject: 'Your order A-1001',
        text: 'Hi Ana, order A-1001 is confirmed.',
        html: '<p>Hi Ana, order <b>A-1001</b> is confirmed.</p>',
      },
    });
  });

  it('should refuse a variable missing only inside the stored template with 422 MISSING_VARIABLE', async () => {
    expect(
      (await register({ channel: 'sms', name: 'coupon_sms', content: { text: 'Use {{coupon}} today, {{name}}' } }))
        .status,
    ).toBe(201);
    await contact('coupon-ana', { phone: '+447700900502', attributes: { name: 'Ana' } });
    const refused = await send({
      to: { contactId: 'coupon-ana' },
      channels: ['sms'],
      content: { sms: { template: 'coupon_sms' } },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'MISSING_VARIABLE',
      details: [{ field: 'variables.coupon', issue: expect.stringContaining('content.sms.template') }],
    });
    expect(refused.body.error.message).toContain('{{coupon}}');
    // Nothing was stored for the contact.
    const exported = await herald.request('GET', '/v1/contacts/coupon-ana/export', { key });
    expect(exported.body.messages).toEqual([]);

    // With the variable given, the same message goes out.
    const sent = await send({
      to: { contactId: 'coupon-ana' },
      channels: ['sms'],
      content: { sms: { template: 'coupon_sms' } },
      variables: { coupon: 'SAVE10' },
    });
    expect(sent.status).toBe(202);
    expect((await ended(sent.body.id)).status).toBe('delivered');
    expect(await rendered('coupon-ana', sent.body.id)).toEqual({ sms: { text: 'Use SAVE10 today, Ana' } });
  });

  it("should accept API §4's example body as written: its unregistered WhatsApp template is skipped, Viber delivers", async () => {
    const example = {
      to: { contactId: 'cust-42', phone: '+447700900123', email: 'ana@example.com', viberId: '01234567890A=' },
      channels: ['whatsapp', 'viber', 'rcs', 'sms', 'email'],
      content: {
        text: 'Hi {{name}}, your cart is waiting: {{cartUrl}}',
        sms: { text: '…' },
        whatsapp: {
          template: { name: 'cart_reminder', language: 'en_US', parameters: { body: ['Ana', 'https://…'] } },
        },
        viber: {
          text: '…',
          imageUrl: 'https://shop.example/img.png',
          button: { text: 'Open', url: 'https://shop.example/c' },
        },
        rcs: { text: '…', suggestions: [{ reply: { text: 'Yes', postbackData: 'yes' } }] },
        email: { subject: 'Your cart', text: '…', html: '<p>…</p>' },
      },
      variables: { name: 'Ana', cartUrl: 'https://shop.example/cart/1' },
      fallback: { after: '60s', successOn: 'delivered' },
      validity: '1h',
      callbackUrl: 'https://client.example/herald-status',
      reference: 'order-1001',
      metadata: { campaign: 'xmas' },
    };
    const sent = await send(example);
    expect(sent.status).toBe(202);
    const done = await ended(sent.body.id);
    expect(done).toMatchObject({ status: 'delivered', channel: 'viber' });
    expect(done.attempts[0]).toMatchObject({
      channel: 'whatsapp',
      status: 'skipped',
      error: { code: 'TEMPLATE_NOT_APPROVED' },
    });
  });

  it('should refuse an unknown template name with 422 TEMPLATE_NOT_FOUND naming content.<channel>.template', async () => {
    const unknown = await send({
      to: { phone: '+447700900503' },
      channels: ['sms'],
      content: { sms: { template: 'never_stored' } },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({
      code: 'TEMPLATE_NOT_FOUND',
      details: [{ field: 'content.sms.template', issue: expect.stringContaining('never_stored') }],
    });

    // A template of another channel does not count, nor does another workspace's.
    expect(
      (
        await send({
          to: { phone: '+447700900503' },
          channels: ['sms'],
          content: { sms: { template: 'order_confirmation' } },
        })
      ).body.error,
    ).toMatchObject({ code: 'TEMPLATE_NOT_FOUND', details: [{ field: 'content.sms.template' }] });
    const other = await herald.createWorkspace('content-templates-stranger');
    expect(
      (await register({ channel: 'sms', name: 'stranger_sms', content: { text: 'hi' } }, other.apiKey)).status,
    ).toBe(201);
    const foreign = await send({
      to: { phone: '+447700900503' },
      channels: ['email', 'sms'],
      content: { email: { subject: 'Hi', text: 'Hi' }, sms: { template: 'stranger_sms' } },
    });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error).toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
    expect(fields(foreign)).toEqual(['content.sms.template']);
  });

  it("should pick the language of a stored template by the contact's locale, '' being the fallback", async () => {
    const greeting = (language: string | undefined, text: string) =>
      register({ channel: 'sms', name: 'greeting', ...(language ? { language } : {}), content: { text } });
    const en = await greeting('en', 'Hello {{name}}');
    const de = await greeting('de', 'Hallo {{name}}');
    expect([en.status, de.status]).toEqual([201, 201]);
    expect([en.body.language, de.body.language]).toEqual(['en', 'de']);

    const sendTo = async (contactId: string, locale: string | undefined, phone: string) => {
      await contact(contactId, { phone, attributes: { name: 'Kim' }, ...(locale ? { locale } : {}) });
      const sent = await send({ to: { contactId }, channels: ['sms'], content: { sms: { template: 'greeting' } } });
      expect(sent.status).toBe(202);
      expect((await ended(sent.body.id)).status).toBe('delivered');
      return (await rendered(contactId, sent.body.id)).sms.text;
    };
    expect(await sendTo('locale-de', 'de-DE', '+447700900511')).toBe('Hallo Kim');
    expect(await sendTo('locale-en', 'en-GB', '+447700900512')).toBe('Hello Kim');
    expect(await sendTo('locale-de-exact', 'de', '+447700900513')).toBe('Hallo Kim');

    // The language-less one is the fallback for every other locale, and for a contact without one.
    const fallback = await greeting(undefined, 'Hi {{name}}');
    expect(fallback.status).toBe(201);
    expect(fallback.body.language).toBeNull();
    expect(await sendTo('locale-fr', 'fr-FR', '+447700900514')).toBe('Hi Kim');
    expect(await sendTo('locale-none', undefined, '+447700900515')).toBe('Hi Kim');
    expect(await sendTo('locale-de-again', 'de-AT', '+447700900516')).toBe('Hallo Kim');

    expect(
      (await list('channel=sms&name=greeting')).body.data.map((t: { language: string | null }) => t.language),
    ).toEqual([null, 'de', 'en']);
  });

  it('should spell template languages one way, so a hyphenated one is found by the locale and is not a second template', async () => {
    const hyphen = await register({ channel: 'sms', name: 'spelled', language: 'de-de', content: { text: 'Hallo' } });
    expect(hyphen.status).toBe(201);
    expect(hyphen.body.language).toBe('de_DE');
    expect(
      (await register({ channel: 'sms', name: 'spelled', language: 'de_DE', content: { text: 'x' } })).status,
    ).toBe(409);
    await register({ channel: 'sms', name: 'spelled', content: { text: 'fallback' } });
    await contact('spelled-de', { phone: '+447700900601', locale: 'de-DE' });
    const sent = await send({
      to: { contactId: 'spelled-de' },
      channels: ['sms'],
      content: { sms: { template: 'spelled' } },
    });
    expect(sent.status).toBe(202);
    expect((await rendered('spelled-de', sent.body.id)).sms.text).toBe('Hallo');
  });

  it('should fill {{variables}} in Viber image and button and RCS suggestions, and refuse a missing one', async () => {
    const viber = await register({
      channel: 'viber',
      name: 'viber_card',
      content: {
        text: 'Hi {{name}}',
        imageUrl: 'https://x.example/{{sku}}.png',
        button: { text: 'Open {{name}}', url: 'https://x.example/{{sku}}' },
      },
    });
    expect(viber.status).toBe(201);
    await contact('viber-card', { phone: '+447700900603', attributes: { name: 'Ana' } });
    const missing = await send({
      to: { contactId: 'viber-card' },
      channels: ['viber'],
      content: { viber: { template: 'viber_card' } },
    });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'MISSING_VARIABLE', details: [{ field: 'variables.sku' }] });
    const sent = await send({
      to: { contactId: 'viber-card' },
      channels: ['viber', 'rcs'],
      content: {
        viber: { template: 'viber_card' },
        rcs: { text: 'Hi', suggestions: [{ reply: { text: 'Buy {{sku}}', postbackData: 'buy-{{sku}}' } }] },
      },
      variables: { sku: 'A7' },
    });
    expect(sent.status).toBe(202);
    const content = await rendered('viber-card', sent.body.id);
    expect(content.viber).toEqual({
      text: 'Hi Ana',
      imageUrl: 'https://x.example/A7.png',
      button: { text: 'Open Ana', url: 'https://x.example/A7' },
    });
    expect(content.rcs.suggestions).toEqual([{ reply: { text: 'Buy A7', postbackData: 'buy-A7' } }]);
  });

  it('should delete a content template so that a message naming it is refused', async () => {
    const created = await register({ channel: 'sms', name: 'short_lived', content: { text: 'Soon gone' } });
    expect(created.status).toBe(201);
    expect((await herald.request('DELETE', `/v1/templates/${created.body.id}`, { key })).status).toBe(204);
    expect((await herald.request('GET', `/v1/templates/${created.body.id}`, { key })).status).toBe(404);
    const sent = await send({
      to: { phone: '+447700900604' },
      channels: ['sms'],
      content: { sms: { template: 'short_lived' } },
    });
    expect(sent.body.error.code).toBe('TEMPLATE_NOT_FOUND');
    expect((await herald.request('DELETE', `/v1/templates/${created.body.id}`, { key })).status).toBe(404);
  });

  it('should refuse a malformed content template with 400 naming the fields, and a duplicate with 409', async () => {
    const invalid = async (body: Record<string, unknown>, expected: string[]) => {
      const answer = await register(body);
      expect([JSON.stringify(body), answer.status]).toEqual([JSON.stringify(body), 400]);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
      expect(fields(answer)).toEqual(expect.arrayContaining(expected));
      return answer;
    };
    await invalid({ channel: 'fax', name: 'bad_channel', content: { text: 'x' } }, ['channel']);
    await invalid({ channel: 'sms', name: 'no_text', content: {} }, ['content.text']);
    await invalid({ channel: 'sms', name: 'no_content' }, ['content']);
    await invalid({ channel: 'sms', name: 'extra_field', content: { text: 'x', subject: 'not for sms' } }, [
      'content.subject',
    ]);
    await invalid({ channel: 'rcs', name: 'extra_field', content: { text: 'x', html: '<p>x</p>' } }, ['content.html']);
    await invalid({ channel: 'email', name: 'no_subject', content: { text: 'x' } }, ['content.subject']);
    await invalid({ channel: 'email', name: 'no_body', content: { subject: 'x' } }, ['content.text']);
    await invalid({ channel: 'viber', name: 'bad_button', content: { text: 'x', button: { text: 'Open' } } }, [
      'content.button',
    ]);
    await invalid({ channel: 'sms', name: 'has spaces', content: { text: 'x' } }, ['name']);
    await invalid({ channel: 'sms', name: 'bad_language', language: 'English', content: { text: 'x' } }, ['language']);
    await invalid({ channel: 'sms', name: 'whatsapp_fields', category: 'UTILITY', content: { text: 'x' } }, [
      'category',
    ]);
    // Every problem of one body at once.
    const many = await invalid({ channel: 'email', name: 'two words', content: { text: 'x', imageUrl: 'x' } }, [
      'name',
      'content.imageUrl',
      'content.subject',
    ]);
    expect(many.body.error.details).toHaveLength(3);
    expect((await list('name=no_text')).body.data).toEqual([]);

    const body = { channel: 'sms', name: 'twice_sms', content: { text: 'once' } };
    expect((await register(body)).status).toBe(201);
    const again = await register({ ...body, content: { text: 'twice' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', details: [{ field: 'name' }] });
    // The same name in another language or on another channel is another template.
    expect((await register({ ...body, language: 'en' })).status).toBe(201);
    expect((await register({ ...body, language: 'en' })).status).toBe(409);
    expect((await register({ channel: 'rcs', name: 'twice_sms', content: { text: 'x' } })).status).toBe(201);
    // Registered at the same moment: one wins, the others are told it exists.
    const racing = await Promise.all(
      [1, 2, 3, 4, 5].map(() => register({ channel: 'sms', name: 'racing_sms', content: { text: 'x' } })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect((await list('name=racing_sms')).body.data).toHaveLength(1);
    const stored = (await list('name=twice_sms')).body.data;
    expect(stored).toHaveLength(3);
    expect(
      stored.find((t: { channel: string; language: string | null }) => t.channel === 'sms' && !t.language).content,
    ).toEqual({ text: 'once' });
  });

  it('should let the sandbox approve a WhatsApp template a moment later, and reject a *_rejected one', async () => {
    const utility = (name: string) => ({
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Order {{1}} has shipped.', example: { body_text: [['A-1']] } }],
    });
    const created = await register(utility('sandbox_shipped'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^tpl_/),
      channel: 'whatsapp',
      name: 'sandbox_shipped',
      language: 'en_US',
      category: 'UTILITY',
      status: 'PENDING',
      provider: 'sandbox',
    });

    await contact('wa-ana', { phone: '+447700900521' });
    const whatsappOnly = {
      to: { contactId: 'wa-ana' },
      channels: ['whatsapp'],
      content: { whatsapp: { template: { name: 'sandbox_shipped', parameters: { body: ['{{order}}'] } } } },
      variables: { order: 'A-7' },
    };
    // Right away (the sandbox decides a step of 50 ms later at the earliest): not approved yet.
    const early = await send(whatsappOnly);
    expect(early.status).toBe(422);
    expect(early.body.error).toMatchObject({
      code: 'TEMPLATE_NOT_APPROVED',
      details: [{ field: 'content.whatsapp.template' }],
    });
    expect(early.body.error.message).toContain('sandbox_shipped');

    const approved = await eventually(
      () => template(created.body.id),
      (t) => t.status !== 'PENDING',
    );
    expect(approved).toMatchObject({ status: 'APPROVED', reason: null });
    expect(steps(approved.history)).toEqual([
      ['api', 'SUBMITTED', 'PENDING'],
      ['sandbox', 'APPROVED', 'APPROVED'],
    ]);
    expect(approved.history[1]).toMatchObject({ previousStatus: 'PENDING', applied: true });

    const sent = await send(whatsappOnly);
    expect(sent.status).toBe(202);
    const done = await ended(sent.body.id);
    expect(done).toMatchObject({ status: 'delivered', channel: 'whatsapp' });
    expect(done.attempts).toEqual([
      expect.objectContaining({ channel: 'whatsapp', provider: 'sandbox', status: 'delivered' }),
    ]);
    expect(await rendered('wa-ana', sent.body.id)).toEqual({
      whatsapp: {
        template: { id: created.body.id, name: 'sandbox_shipped', language: 'en_US', parameters: { body: ['A-7'] } },
      },
    });

    const refused = await register(utility('sandbox_shipped_rejected'));
    expect(refused.status).toBe(201);
    expect(refused.body.status).toBe('PENDING');
    const rejected = await eventually(
      () => template(refused.body.id),
      (t) => t.status !== 'PENDING',
    );
    expect(rejected).toMatchObject({ status: 'REJECTED', reason: 'INVALID_FORMAT' });
    expect(steps(rejected.history)).toEqual([
      ['api', 'SUBMITTED', 'PENDING'],
      ['sandbox', 'REJECTED', 'REJECTED'],
    ]);
    expect(rejected.history[1].reason).toBe('INVALID_FORMAT');

    const rejectedOnly = await send({
      ...whatsappOnly,
      content: { whatsapp: { template: { name: 'sandbox_shipped_rejected', parameters: { body: ['A-8'] } } } },
    });
    expect(rejectedOnly.status).toBe(422);
    expect(rejectedOnly.body.error.code).toBe('TEMPLATE_NOT_APPROVED');
    expect(rejectedOnly.body.error.message).toContain('REJECTED');

    const cascade = await send({
      to: { contactId: 'wa-ana' },
      channels: ['whatsapp', 'sms'],
      content: {
        text: 'Order {{order}} has shipped',
        whatsapp: { template: { name: 'sandbox_shipped_rejected', parameters: { body: ['{{order}}'] } } },
      },
      variables: { order: 'A-9' },
    });
    expect(cascade.status).toBe(202);
    const fellBack = await ended(cascade.body.id);
    expect(fellBack).toMatchObject({ status: 'delivered', channel: 'sms' });
    expect(fellBack.attempts).toHaveLength(2);
    expect(fellBack.attempts[0]).toMatchObject({
      channel: 'whatsapp',
      status: 'skipped',
      error: { code: 'TEMPLATE_NOT_APPROVED', permanent: true },
    });
    expect(fellBack.attempts[0].error.message).toContain('sandbox_shipped_rejected');
    expect(fellBack.attempts[1]).toMatchObject({ channel: 'sms', provider: 'sandbox', status: 'delivered' });
    expect((await rendered('wa-ana', cascade.body.id)).sms).toEqual({ text: 'Order A-9 has shipped' });
  });

  it('should list templates newest first with status, name and channel filters and cursor paging', async () => {
    const own = (await herald.createWorkspace('content-templates-list')).apiKey;
    const ids: string[] = [];
    for (const body of [
      { channel: 'sms', name: 'list_sms', content: { text: 'Hi {{name}}' } },
      { channel: 'email', name: 'list_email', content: { subject: 'Hi', html: '<p>Hi</p>' } },
      {
        channel: 'viber',
        name: 'list_viber',
        content: {
          text: 'Sale',
          imageUrl: 'https://shop.example/sale.png',
          button: { text: 'Open', url: 'https://shop.example' },
        },
      },
      {
        channel: 'rcs',
        name: 'list_rcs',
        content: { text: 'Still want it?', suggestions: [{ reply: { text: 'Yes', postbackData: 'yes' } }] },
      },
      {
        name: 'list_whatsapp_rejected',
        language: 'en',
        category: 'MARKETING',
        components: [{ type: 'BODY', text: 'Big sale today' }],
      },
    ]) {
      const created = await register(body, own);
      expect([body.name, created.status]).toEqual([body.name, 201]);
      ids.push(created.body.id);
    }
    const newestFirst = [...ids].reverse();
    const wa = ids[4];
    expect(
      (
        await eventually(
          () => template(wa, own),
          (t) => t.status !== 'PENDING',
        )
      ).status,
    ).toBe('REJECTED');

    const idsOf = async (query: string) => {
      const answer = await list(query, own);
      expect([query, answer.status]).toEqual([query, 200]);
      return answer.body.data.map((t: { id: string }) => t.id);
    };
    expect(await idsOf('')).toEqual(newestFirst);
    expect(await idsOf('status=APPROVED')).toEqual(newestFirst.slice(1));
    expect(await idsOf('status=rejected')).toEqual([wa]);
    expect(await idsOf('status=PENDING')).toEqual([]);
    expect(await idsOf('channel=sms')).toEqual([ids[0]]);
    expect(await idsOf('channel=whatsapp')).toEqual([wa]);
    expect(await idsOf('name=list_email')).toEqual([ids[1]]);
    expect(await idsOf('name=list_email&channel=sms')).toEqual([]);
    expect(await idsOf('name=list_rcs&status=APPROVED&channel=rcs')).toEqual([ids[3]]);
    expect((await list('channel=viber', own)).body.data[0]).toMatchObject({
      channel: 'viber',
      status: 'APPROVED',
      content: { imageUrl: 'https://shop.example/sale.png', button: { text: 'Open', url: 'https://shop.example' } },
    });

    // limit=1 pages through all of them, in the same order, with nextCursor ending null.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await list(query, own);
      expect(page.status).toBe(200);
      expect(page.body.data).toHaveLength(1);
      paged.push(page.body.data[0].id);
      cursor = page.body.nextCursor;
      expect(paged.length).toBeLessThanOrEqual(ids.length);
    } while (cursor);
    expect(paged).toEqual(newestFirst);
    const two = await list('limit=2&channel=sms', own);
    expect(two.body).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });

    for (const [query, field] of [
      ['status=WAITING', 'status'],
      ['channel=fax', 'channel'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from('msg_0190a0b0c0d07e8f9a0b1c2d3e4f5a6b').toString('base64url')}`, 'cursor'],
      ['status=APPROVED&status=PENDING', 'status'],
    ]) {
      const answer = await list(query, own);
      expect([query, answer.status]).toEqual([query, 400]);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
      expect(fields(answer)).toContain(field);
    }

    // Another workspace's template is not found, and never listed there.
    const foreign = await herald.request('GET', `/v1/templates/${ids[0]}`, { key });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    expect((await herald.request('GET', '/v1/templates/tpl_nope', { key: own })).status).toBe(404);
    expect((await list('name=list_sms')).body.data).toEqual([]);
    expect((await herald.request('GET', '/v1/templates', {})).status).toBe(401);

    const sync = await herald.request('POST', '/v1/templates/sync', { key: own });
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ provider: 'sandbox', checked: 0, changes: [] });
    expect((await template(wa, own)).status).toBe('REJECTED');
  });
});
