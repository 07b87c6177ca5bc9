import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { eventually, startHerald, type TestHerald } from './support/herald.js';
import { fakeGraph, signedNotification } from './support/fake-graph.js';
import { ownDatabase, useDatabase } from './support/processes.js';

const TOKEN = 'meta-template-token';
const SECRET = 'meta-template-secret';
const WABA = '102290129340398';
const PHONE_ID = '1234567890';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/providers/${name}`, import.meta.url), 'utf8')) as Record<string, any>;

/** Meta's example create request under another name, so every test registers its own template. */
const promo = (name: string) => ({ ...fixture('whatsapp-template-create-request.json'), name });
const utility = (name: string, language = 'en_US') => ({
  name,
  language,
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: 'Order {{1}} has shipped and arrives {{2}}.', example: { body_text: [['A-1', 'Friday']] } },
  ],
});

describe('WhatsApp templates against the Graph API', () => {
  let herald: TestHerald;
  let key: string;
  let graph: Awaited<ReturnType<typeof fakeGraph>>;
  let clock = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    useDatabase(await ownDatabase('templates'));
    graph = await fakeGraph({ token: TOKEN, wabaId: WABA, phoneNumberId: PHONE_ID, pageSize: 2 });
    herald = await startHerald({
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
      WHATSAPP_WABA_ID: WABA,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_GRAPH_URL: graph.url,
      PUBLIC_URL: 'https://herald.example',
      // Long enough that only the sync the test asks for runs (the periodic one has its own test below).
      HERALD_TEMPLATE_SYNC_INTERVAL: '1h',
    });
    key = (await herald.createWorkspace('templates')).apiKey;
  });

  afterAll(async () => {
    await herald?.close();
    await graph?.close();
  });

  const register = (body: unknown, as = key) => herald.request('POST', '/v1/templates', { key: as, body });
  const template = (id: string) => herald.request('GET', `/v1/templates/${id}`, { key }).then((r) => r.body);
  const message = (id: string) => herald.request('GET', `/v1/messages/${id}`, { key }).then((r) => r.body);
  const send = (body: unknown) => herald.request('POST', '/v1/messages', { key, body });

  /** A signed template status webhook, each a second after the last (Meta's `entry.time`). */
  const statusUpdate = (
    t: { providerTemplateId: string; name: string; language: string },
    event: string,
    extra = {},
  ) => {
    clock = Math.max(clock + 1, Math.floor(Date.now() / 1000));
    const value = {
      event,
      message_template_id: Number(t.providerTemplateId),
      message_template_name: t.name,
      message_template_language: t.language,
      reason: 'NONE',
      ...extra,
    };
    return herald.request(
      'POST',
      '/webhooks/whatsapp',
      signedNotification(SECRET, WABA, 'message_template_status_update', value, clock),
    );
  };

  /** A signed inbound WhatsApp message from `from` (digits): it opens that contact's 24 h window. */
  const customerWroteIn = async (from: string) => {
    const inbound = signedNotification(SECRET, WABA, 'messages', {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550000000', phone_number_id: PHONE_ID },
      messages: [
        {
          from,
          id: `wamid.IN${from}`,
          timestamp: String(Math.floor(Date.now() / 1000)),
          type: 'text',
          text: { body: 'Hi' },
        },
      ],
    });
    expect((await herald.request('POST', '/webhooks/whatsapp', inbound)).status).toBe(200);
  };

  const approved = async (body: Record<string, unknown>) => {
    const created = await register(body);
    expect(created.status).toBe(201);
    expect((await statusUpdate(created.body, 'APPROVED')).status).toBe(200);
    return created.body;
  };

  it("should submit a template to Meta as Meta's create request and answer 201 PENDING", async () => {
    const created = await register(promo('summer_sale'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^tpl_/),
      channel: 'whatsapp',
      name: 'summer_sale',
      language: 'en',
      category: 'MARKETING',
      status: 'PENDING',
      providerTemplateId: expect.stringMatching(/^\d+$/),
    });
    const call = graph.seen.filter((r) => r.method === 'POST' && r.path.endsWith('/message_templates')).at(-1)!;
    expect(call.path).toBe(`/v23.0/${WABA}/message_templates`);
    expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(call.body)).toEqual(promo('summer_sale'));
    const listed = await herald.request('GET', '/v1/templates?status=PENDING&name=summer_sale', { key });
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([created.body.id]);
    expect((await herald.request('GET', '/v1/templates?status=APPROVED&name=summer_sale', { key })).body.data).toEqual(
      [],
    );
  });

  it('should go through the whole lifecycle: PENDING refused, APPROVED sent, PAUSED skipped in a cascade', async () => {
    const created = await register(utility('order_shipped'));
    const content = {
      whatsapp: { template: { name: 'order_shipped', parameters: { body: ['{{order}}', 'Friday'] } } },
    };
    const whatsappOnly = {
      to: { phone: '+447700900310' },
      channels: ['whatsapp'],
      content,
      variables: { order: 'A-7' },
    };

    const pending = await send(whatsappOnly);
    expect(pending.status).toBe(422);
    expect(pending.body.error.code).toBe('TEMPLATE_NOT_APPROVED');
    expect(pending.body.error.message).toContain('order_shipped');

    expect((await statusUpdate(created.body, 'APPROVED', { message_template_category: 'UTILITY' })).status).toBe(200);
    expect((await template(created.body.id)).status).toBe('APPROVED');
    const sent = await send(whatsappOnly);
    expect(sent.status).toBe(202);
    const submitted = await eventually(
      () => message(sent.body.id),
      (m) => m.attempts[0]?.status === 'submitted',
    );
    expect(submitted.attempts[0].providerMessageId).toMatch(/^wamid\./);
    expect(graph.sends().at(-1)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '447700900310',
      type: 'template',
      template: {
        name: 'order_shipped',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'A-7' },
              { type: 'text', text: 'Friday' },
            ],
          },
        ],
      },
    });

    // Accepted while APPROVED, due after Meta paused the template: the dispatcher skips WhatsApp.
    const later = await send({
      to: { phone: '+447700900311' },
      channels: ['whatsapp', 'sms'],
      content: { ...content, text: 'Order A-8 has shipped' },
      variables: { order: 'A-8' },
      sendAt: new Date(Date.now() + 1500).toISOString(),
    });
    expect(later.status).toBe(202);
    const paused = await statusUpdate(created.body, 'PAUSED', {
      other_info: { title: 'FIRST_PAUSE', description: 'Paused for low quality' },
    });
    expect(paused.status).toBe(200);
    expect((await template(created.body.id)).status).toBe('PAUSED');

    const refused = await send(whatsappOnly);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'TEMPLATE_NOT_APPROVED' });
    expect(refused.body.error.message).toContain('PAUSED');

    const cascade = await send({
      ...whatsappOnly,
      channels: ['whatsapp', 'sms'],
      content: { ...content, text: 'Order {{order}} has shipped' },
    });
    expect(cascade.status).toBe(202);
    for (const id of [later.body.id, cascade.body.id]) {
      const done = await eventually(
        () => message(id),
        (m) => m.status === 'delivered',
      );
      expect(done.channel).toBe('sms');
      expect(done.attempts[0]).toMatchObject({
        channel: 'whatsapp',
        status: 'skipped',
        error: { code: 'TEMPLATE_NOT_APPROVED', permanent: true },
      });
      expect(done.attempts[0].error.message).toContain('order_shipped (en_US) is PAUSED');
      expect(done.attempts[1]).toMatchObject({ channel: 'sms', status: 'delivered' });
    }

    const history = (await template(created.body.id)).history;
    expect(
      history.map((h: { source: string; event: string; status: string }) => [h.source, h.event, h.status]),
    ).toEqual([
      ['api', 'SUBMITTED', 'PENDING'],
      ['webhook', 'APPROVED', 'APPROVED'],
      ['webhook', 'PAUSED', 'PAUSED'],
    ]);
    expect(history[2]).toMatchObject({ previousStatus: 'APPROVED', detail: { otherInfo: { title: 'FIRST_PAUSE' } } });
  });

  it("should record Meta's rejection with its reason and recommendation", async () => {
    const created = await register(promo('abandoned_cart'));
    const rejected = fixture('whatsapp-webhook-template-status-update-pywa.json').rejected.entry[0].changes[0].value;
    const answer = await statusUpdate(created.body, 'REJECTED', {
      reason: rejected.reason,
      rejection_info: rejected.rejection_info,
    });
    expect(answer.status).toBe(200);
    const now = await template(created.body.id);
    expect(now).toMatchObject({ status: 'REJECTED', reason: 'INVALID_FORMAT' });
    expect(now.history.at(-1)).toMatchObject({
      event: 'REJECTED',
      reason: 'INVALID_FORMAT',
      detail: { rejectionInfo: rejected.rejection_info },
    });
  });

  it("should answer Meta's refusal with 422, Meta's code and message, and store nothing", async () => {
    graph.state.refuseNext = {
      status: 400,
      body: {
        error: {
          message: 'Invalid parameter',
          type: 'OAuthException',
          code: 100,
          error_subcode: 2388024,
          error_user_title: 'Content in this language already exists',
          error_user_msg: 'There is already English (US) content for this template.',
          fbtrace_id: 'A5Ld_C-mecwFT9GzebFGU0m',
        },
      },
    };
    const answer = await register(utility('duplicate_at_meta'));
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({
      code: 'TEMPLATE_REFUSED',
      provider: { name: 'whatsapp-cloud', code: '100', subcode: '2388024', message: 'Invalid parameter' },
      details: [{ field: 'template', issue: 'There is already English (US) content for this template.' }],
    });
    expect(answer.body.error.message).toContain('100');
    expect((await herald.request('GET', '/v1/templates?name=duplicate_at_meta', { key })).body.data).toEqual([]);
  });

  it('should refuse a malformed template before calling Meta, naming each field', async () => {
    const calls = graph.seen.length;
    const answer = await register({
      name: 'Bad Name',
      language: 'english',
      category: 'PROMO',
      components: [
        { type: 'BODY', text: 'Hi {{1}} and {{3}}' },
        { type: 'BODY', text: 'again' },
      ],
    });
    expect(answer.status).toBe(400);
    const fields = answer.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'language', 'category']));
    expect(fields.some((f: string) => f.startsWith('components'))).toBe(true);
    expect(graph.seen.length).toBe(calls);
    expect((await register(utility('twice_here'))).status).toBe(201);
    expect((await register(utility('twice_here'))).status).toBe(409);
  });

  it('should check the parameter count at accept time and name the template', async () => {
    await approved(utility('param_count'));
    const answer = await send({
      to: { phone: '+447700900320' },
      channels: ['whatsapp', 'sms'],
      content: { text: 'x', whatsapp: { template: { name: 'param_count', parameters: { body: ['A-1'] } } } },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('TEMPLATE_PARAMETERS_MISMATCH');
    expect(answer.body.error.message).toContain('param_count');
    expect(answer.body.error.details[0].field).toBe('content.whatsapp.template.parameters.body');
    const unknown = await send({
      to: { phone: '+447700900320' },
      channels: ['whatsapp'],
      content: { whatsapp: { template: { name: 'never_registered' } } },
    });
    // Not registered: Herald cannot know it is APPROVED, so it counts as not approved (API §5).
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({
      code: 'TEMPLATE_NOT_APPROVED',
      details: [{ field: 'content.whatsapp.template' }],
    });
    expect(unknown.body.error.message).toContain('never_registered is not registered');
    const sends = graph.sends().length;
    const cascade = await send({
      to: { phone: '+447700900321' },
      channels: ['whatsapp', 'sms'],
      content: { text: 'Your order shipped', whatsapp: { template: { name: 'never_registered' } } },
    });
    expect(cascade.status).toBe(202);
    const done = await eventually(
      () => message(cascade.body.id),
      (m) => m.status === 'delivered',
    );
    expect(done.attempts.map((a: { channel: string; status: string }) => [a.channel, a.status])).toEqual([
      ['whatsapp', 'skipped'],
      ['sms', 'delivered'],
    ]);
    expect(done.attempts[0].error).toMatchObject({ code: 'TEMPLATE_NOT_APPROVED' });
    expect(graph.sends().length).toBe(sends);
  });

  it('should keep every status event value of Meta in the history, in time order', async () => {
    const created = await register(utility('every_event'));
    const steps: [string, Record<string, unknown>, string][] = [
      ['PENDING', {}, 'PENDING'],
      ['APPROVED', {}, 'APPROVED'],
      ['FLAGGED', {}, 'FLAGGED'],
      ['PAUSED', { other_info: { title: 'SECOND_PAUSE', description: 'Paused again' } }, 'PAUSED'],
      ['IN_APPEAL', {}, 'IN_APPEAL'],
      ['REINSTATED', {}, 'APPROVED'],
      ['LIMIT_EXCEEDED', {}, 'LIMIT_EXCEEDED'],
      ['APPROVED', {}, 'APPROVED'],
      ['LOCKED', { other_info: { title: 'LOCKED', description: 'Locked for editing' } }, 'LOCKED'],
      ['UNLOCKED', {}, 'APPROVED'],
      ['ARCHIVED', {}, 'ARCHIVED'],
      ['UNARCHIVED', {}, 'APPROVED'],
      ['DISABLED', { disable_info: { disable_date: '1751247548' } }, 'DISABLED'],
      ['REJECTED', { reason: 'SCAM' }, 'REJECTED'],
      ['PENDING_DELETION', {}, 'PENDING_DELETION'],
      ['DELETED', {}, 'DELETED'],
    ];
    for (const [event, extra, expected] of steps) {
      expect((await statusUpdate(created.body, event, extra)).status).toBe(200);
      expect([event, (await template(created.body.id)).status]).toEqual([event, expected]);
    }
    const history = (await template(created.body.id)).history;
    expect(history.slice(1).map((h: { event: string }) => h.event)).toEqual(steps.map(([event]) => event));
    expect(history.find((h: { event: string }) => h.event === 'DISABLED').detail).toEqual({
      disableDate: '1751247548',
    });
    expect(history.find((h: { event: string }) => h.event === 'REJECTED').reason).toBe('SCAM');
  });

  it('should apply category updates, ignore a late older event and a replay, and refuse a forged one', async () => {
    const created = await approved(utility('late_events'));
    clock = Math.max(clock + 1, Math.floor(Date.now() / 1000));
    const category = await herald.request(
      'POST',
      '/webhooks/whatsapp',
      signedNotification(
        SECRET,
        WABA,
        'template_category_update',
        {
          message_template_id: Number(created.providerTemplateId),
          message_template_name: 'late_events',
          message_template_language: 'en_US',
          previous_category: 'UTILITY',
          new_category: 'MARKETING',
        },
        clock,
      ),
    );
    expect(category.status).toBe(200);
    expect((await template(created.id)).category).toBe('MARKETING');

    // A PAUSED stamped before the APPROVED that is already applied: history only.
    const old = signedNotification(
      SECRET,
      WABA,
      'message_template_status_update',
      {
        event: 'PAUSED',
        message_template_id: Number(created.providerTemplateId),
        message_template_name: 'late_events',
        message_template_language: 'en_US',
        reason: 'NONE',
      },
      clock - 30,
    );
    expect((await herald.request('POST', '/webhooks/whatsapp', old)).status).toBe(200);
    expect((await herald.request('POST', '/webhooks/whatsapp', old)).status).toBe(200);
    const now = await template(created.id);
    expect(now.status).toBe('APPROVED');
    const late = now.history.filter((h: { event: string }) => h.event === 'PAUSED');
    expect(late).toEqual([expect.objectContaining({ applied: false, status: 'PAUSED' })]);
    expect(now.history.find((h: { event: string }) => h.event === 'CATEGORY_UPDATE')).toMatchObject({
      category: 'MARKETING',
      previousCategory: 'UTILITY',
    });

    const forged = signedNotification('not-the-secret', WABA, 'message_template_status_update', {
      event: 'DISABLED',
      message_template_id: Number(created.providerTemplateId),
      message_template_name: 'late_events',
      message_template_language: 'en_US',
    });
    expect((await herald.request('POST', '/webhooks/whatsapp', forged)).status).toBe(401);
    expect((await template(created.id)).status).toBe('APPROVED');
  });

  it('should delete a template at Meta, keep its history, refuse sends and let the name be registered again', async () => {
    const created = await approved(utility('to_delete'));
    expect((await herald.request('DELETE', `/v1/templates/${created.id}`, { key })).status).toBe(204);
    const call = graph.seen.filter((r) => r.method === 'DELETE').at(-1)!;
    expect([call.query.get('name'), call.query.get('hsm_id')]).toEqual(['to_delete', created.providerTemplateId]);
    const now = await template(created.id);
    expect(now.status).toBe('DELETED');
    expect(now.history.at(-1)).toMatchObject({ source: 'api', event: 'DELETED', previousStatus: 'APPROVED' });
    const refused = await send({
      to: { phone: '+447700900370' },
      channels: ['whatsapp'],
      content: { whatsapp: { template: { name: 'to_delete', parameters: { body: ['A-1', 'Friday'] } } } },
    });
    expect(refused.body.error.code).toBe('TEMPLATE_NOT_APPROVED');
    const again = await register(utility('to_delete'));
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(created.id);
  });

  it('should apply a webhook that beat the create answer once the template exists', async () => {
    const nextId = graph.nextTemplateId();
    clock = Math.max(clock + 1, Math.floor(Date.now() / 1000));
    const early = signedNotification(
      SECRET,
      WABA,
      'message_template_status_update',
      {
        event: 'APPROVED',
        message_template_id: Number(nextId),
        message_template_name: 'instant_ok',
        message_template_language: 'en_US',
        reason: 'NONE',
      },
      clock,
    );
    expect((await herald.request('POST', '/webhooks/whatsapp', early)).status).toBe(200);
    const created = await register(utility('instant_ok'));
    expect(created.body).toMatchObject({ providerTemplateId: nextId, status: 'APPROVED' });
  });

  it('should pick up at the next sync a change the webhook missed, page by page, and mark vanished ones DELETED', async () => {
    const missed = await register(utility('missed_webhook'));
    const vanished = await register(utility('deleted_at_meta'));
    graph.templates.find((t) => t.id === missed.body.providerTemplateId)!.status = 'APPROVED';
    graph.templates.splice(
      graph.templates.findIndex((t) => t.id === vanished.body.providerTemplateId),
      1,
    );
    const listCalls = () =>
      graph.seen.filter((r) => r.method === 'GET' && r.path.endsWith('/message_templates')).length;
    const before = listCalls();
    const sync = await herald.request('POST', '/v1/templates/sync', { key });
    expect(sync.status).toBe(200);
    expect(sync.body.checked).toBe(graph.templates.length);
    // Two templates per page at the fake: every page was read.
    expect(listCalls() - before).toBe(Math.ceil(graph.templates.length / 2));
    expect(sync.body.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: missed.body.id, status: 'APPROVED', previousStatus: 'PENDING' }),
        expect.objectContaining({ id: vanished.body.id, status: 'DELETED', previousStatus: 'PENDING' }),
      ]),
    );
    const now = await template(missed.body.id);
    expect(now.status).toBe('APPROVED');
    expect(now.history.at(-1)).toMatchObject({ source: 'sync', status: 'APPROVED' });
    // Another workspace sees none of it.
    const other = await herald.createWorkspace('templates-other');
    expect((await herald.request('GET', `/v1/templates/${missed.body.id}`, { key: other.apiKey })).status).toBe(404);
    expect((await herald.request('POST', '/v1/templates/sync', { key: other.apiKey })).body.changes).toEqual([]);
  });

  it('should price delivered templates by category and country, free for utility in the window, Meta first', async () => {
    const card = (await herald.request('GET', '/v1/rate-card', { key })).body;
    card.whatsapp.MARKETING = { default: '0.05', countries: { GB: '0.0529', DE: '0.1365' } };
    card.whatsapp.UTILITY = { default: '0.02', countries: { US: '0.004', GB: '0.022' } };
    delete card.isDefault;
    delete card.updatedAt;
    expect((await herald.request('PUT', '/v1/rate-card', { key, body: card })).status).toBe(200);
    await approved(promo('price_marketing'));
    await approved(utility('price_utility'));

    const deliver = async (to: Record<string, string>, name: string, parameters: unknown, pricing?: unknown) => {
      const sent = await send({
        to,
        channels: ['whatsapp'],
        content: { whatsapp: { template: { name, parameters } } },
      });
      expect(sent.status).toBe(202);
      const submitted = await eventually(
        () => message(sent.body.id),
        (m) => m.attempts[0]?.status === 'submitted',
      );
      const phone = (submitted.attempts[0].providerMessageId as string).split('.')[1];
      const status = {
        id: submitted.attempts[0].providerMessageId,
        status: 'delivered',
        timestamp: String(Math.floor(Date.now() / 1000)),
        recipient_id: phone,
        ...(pricing ? { pricing } : {}),
      };
      const hook = signedNotification(SECRET, WABA, 'messages', {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550000000', phone_number_id: PHONE_ID },
        statuses: [status],
      });
      expect((await herald.request('POST', '/webhooks/whatsapp', hook)).status).toBe(200);
      return (
        await eventually(
          () => message(sent.body.id),
          (m) => m.status === 'delivered',
        )
      ).attempts[0].cost;
    };
    const promoParameters = { header: 'Summer Sale', body: ['August', '25OFF', '25%'] };
    const orderParameters = { body: ['A-1', 'Friday'] };
    // Two categories, two countries: the card's prices.
    expect(await deliver({ phone: '+4915112345678' }, 'price_marketing', promoParameters)).toEqual({
      amount: '0.1365',
      currency: 'USD',
    });
    expect(await deliver({ phone: '+14155552671' }, 'price_utility', orderParameters)).toEqual({
      amount: '0.004',
      currency: 'USD',
    });
    // The customer wrote in: a utility template inside the open window is free; marketing is not.
    await herald.request('PUT', '/v1/contacts/window-buyer', { key, body: { phone: '+447700900350' } });
    await customerWroteIn('447700900350');
    expect(await deliver({ contactId: 'window-buyer' }, 'price_utility', orderParameters)).toEqual({
      amount: '0',
      currency: 'USD',
    });
    expect(await deliver({ contactId: 'window-buyer' }, 'price_marketing', promoParameters)).toEqual({
      amount: '0.0529',
      currency: 'USD',
    });
    // Meta's billing on the status wins over the estimate.
    expect(
      await deliver({ phone: '+4915112345679' }, 'price_marketing', promoParameters, {
        billable: true,
        pricing_model: 'PMP',
        type: 'regular',
        category: 'utility',
      }),
    ).toEqual({ amount: '0.02', currency: 'USD' });
    expect(
      await deliver({ phone: '+4915112345670' }, 'price_marketing', promoParameters, {
        billable: false,
        pricing_model: 'PMP',
        type: 'free_entry_point',
        category: 'marketing',
      }),
    ).toEqual({ amount: '0', currency: 'USD' });
  });

  it('should send free-form text inside the window and the template outside it', async () => {
    await approved(utility('window_choice'));
    const content = {
      text: 'Order A-1 has shipped',
      whatsapp: { template: { name: 'window_choice', parameters: { body: ['A-1', 'Friday'] } } },
    };
    const sentAs = async (to: Record<string, string>) => {
      const sent = await send({ to, channels: ['whatsapp'], content });
      const submitted = await eventually(
        () => message(sent.body.id),
        (m) => m.attempts[0]?.status === 'submitted',
      );
      const digits = (submitted.attempts[0].providerMessageId as string).split('.')[1];
      return graph
        .sends()
        .filter((s) => s.to === digits)
        .at(-1);
    };
    expect(await sentAs({ phone: '+447700900360' })).toMatchObject({
      type: 'template',
      template: { name: 'window_choice' },
    });
    await herald.request('PUT', '/v1/contacts/window-text', { key, body: { phone: '+447700900361' } });
    await customerWroteIn('447700900361');
    expect(await sentAs({ contactId: 'window-text' })).toMatchObject({
      type: 'text',
      text: { body: 'Order A-1 has shipped' },
    });
  });
});

describe('the periodic template sync', () => {
  it('should run on one worker at a time and pick up a change made only at Meta', async () => {
    useDatabase(await ownDatabase('template-sync'));
    const graph = await fakeGraph({ token: TOKEN, wabaId: WABA, phoneNumberId: PHONE_ID, pageSize: 2 });
    graph.state.listDelayMs = 100;
    const env = {
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
      WHATSAPP_WABA_ID: WABA,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_GRAPH_URL: graph.url,
      HERALD_TEMPLATE_SYNC_INTERVAL: '1s',
    };
    const first = await startHerald(env);
    const second = await startHerald(env);
    try {
      const { apiKey } = await first.createWorkspace('periodic');
      const created = await first.request('POST', '/v1/templates', { key: apiKey, body: utility('periodic_pick') });
      expect(created.status).toBe(201);
      const started = Date.now();
      graph.templates.find((t) => t.id === created.body.providerTemplateId)!.status = 'APPROVED';
      const now = await eventually(
        () => first.request('GET', `/v1/templates/${created.body.id}`, { key: apiKey }).then((r) => r.body),
        (t) => t.status === 'APPROVED',
      );
      expect(now.history.at(-1)).toMatchObject({ source: 'sync', status: 'APPROVED' });
      // Let a few intervals pass: the two workers never list at the same time, and take turns per interval.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const firstPages = graph.seen.filter(
        (r) => r.method === 'GET' && r.path.endsWith('/message_templates') && !r.query.get('after'),
      ).length;
      const intervals = Math.ceil((Date.now() - started) / 1000) + 2;
      expect(graph.maxListsInFlight()).toBe(1);
      expect(firstPages).toBeGreaterThanOrEqual(2);
      expect(firstPages).toBeLessThanOrEqual(intervals);
    } finally {
      await first.close();
      await second.close();
      await graph.close();
    }
  });
});
