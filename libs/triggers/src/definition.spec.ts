import { describe, expect, it } from '@jest/globals';
import { mergeTriggerPatch, parseTriggerDefinition, templateRefs } from './definition.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The API's example (§7). */
const example = (): Record<string, unknown> => ({
  name: 'Cart abandonment',
  when: { event: 'checkout_started', where: [{ path: 'properties.total', op: 'gte', value: 20 }] },
  unless: { event: 'order_completed', within: '2h', matchOn: 'properties.cartId' },
  count: { atLeast: 3, within: '24h' },
  first: false,
  inactivity: { for: '30d' },
  delay: '0s',
  send: { channels: ['whatsapp', 'sms'], content: {}, fallback: { after: '10m' } },
  limits: { oncePer: 'properties.cartId', cap: { max: 1, per: '24h' }, quietHours: { from: '21:00', to: '08:00' } },
  conversion: { event: 'order_completed', within: '72h' },
});

const minimal = (): Record<string, unknown> => ({
  name: 'Welcome',
  when: { event: 'signed_up' },
  send: { channels: ['sms'], content: { text: 'Hi' } },
});

const issuesOf = (input: unknown) => parseTriggerDefinition(input).issues;

/** The issues of the minimal valid body with `changes` applied (undefined removes a key). */
function issuesWith(changes: Record<string, unknown>) {
  const body: Record<string, unknown> = { ...minimal(), ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete body[key];
  return issuesOf(body);
}

describe(parseTriggerDefinition.name, () => {
  it('should parse the API example with durations in milliseconds', () => {
    expect(parseTriggerDefinition(example())).toEqual({
      definition: {
        name: 'Cart abandonment',
        when: { event: 'checkout_started', where: [{ path: 'properties.total', op: 'gte', value: 20 }] },
        unless: { event: 'order_completed', withinMs: 2 * HOUR, matchOn: 'properties.cartId' },
        count: { atLeast: 3, withinMs: DAY },
        first: false,
        inactivity: { forMs: 30 * DAY },
        delayMs: 0,
        send: { channels: ['whatsapp', 'sms'], content: {}, fallback: { after: '10m' } },
        limits: {
          oncePer: 'properties.cartId',
          cap: { max: 1, perMs: DAY },
          quietHours: { from: '21:00', to: '08:00' },
        },
        conversion: { event: 'order_completed', withinMs: 72 * HOUR },
      },
      issues: [],
    });
  });

  it('should fill the defaults of a minimal body', () => {
    expect(parseTriggerDefinition(minimal())).toEqual({
      definition: {
        name: 'Welcome',
        when: { event: 'signed_up', where: [] },
        first: false,
        delayMs: 0,
        send: { channels: ['sms'], content: { text: 'Hi' } },
        limits: {},
      },
      issues: [],
    });
  });

  it('should accept inactivity alone', () => {
    const { definition, issues } = parseTriggerDefinition({
      name: 'Win back',
      inactivity: { for: 'P30D' },
      send: { channels: ['email'], content: {} },
    });
    expect(issues).toEqual([]);
    expect(definition).toMatchObject({ inactivity: { forMs: 30 * DAY } });
    expect(definition?.when).toBeUndefined();
  });

  it('should read durations in every accepted form', () => {
    const { definition } = parseTriggerDefinition({
      ...minimal(),
      unless: { event: 'paid', within: 90 },
      delay: 'PT30M',
      conversion: { event: 'paid', within: '14d' },
    });
    expect(definition).toMatchObject({
      unless: { withinMs: 90_000 },
      delayMs: 30 * 60_000,
      conversion: { withinMs: 14 * DAY },
    });
    expect(definition?.unless).not.toHaveProperty('matchOn');
  });

  it('should take null as "not given" for optional sections', () => {
    const { definition, issues } = parseTriggerDefinition({
      ...minimal(),
      unless: null,
      count: null,
      first: null,
      inactivity: null,
      delay: null,
      limits: null,
      conversion: null,
    });
    expect(issues).toEqual([]);
    expect(definition).toEqual(parseTriggerDefinition(minimal()).definition);
  });

  it.each([[null], [[]], ['trigger'], [42], [undefined]])('should refuse the body %p', (body) => {
    expect(parseTriggerDefinition(body)).toEqual({ issues: [{ field: 'body', issue: 'must be a JSON object' }] });
  });

  it('should refuse unknown keys at every level', () => {
    const body = {
      ...example(),
      priority: 1,
      when: { event: 'a', where: [], filter: 1 },
      unless: { event: 'b', within: '1h', after: 1 },
      count: { atLeast: 2, within: '1h', max: 3 },
      inactivity: { for: '1d', since: 'x' },
      limits: { perDay: 1, cap: { max: 1, per: '1d', window: 1 }, quietHours: { from: '21:00', to: '08:00', tz: 'x' } },
      conversion: { event: 'c', within: '1d', value: 1 },
    };
    expect(issuesOf(body)).toEqual(
      [
        'priority',
        'when.filter',
        'unless.after',
        'count.max',
        'inactivity.since',
        'limits.perDay',
        'limits.cap.window',
        'limits.quietHours.tz',
        'conversion.value',
      ].map((field) => ({ field, issue: 'unknown field' })),
    );
  });

  it('should let send carry message keys it does not know (the message intake checks them)', () => {
    expect(issuesWith({ send: { channels: ['sms'], content: {}, validity: '1h', metadata: { a: 1 } } })).toEqual([]);
  });

  it('should collect every issue, not only the first', () => {
    const issues = issuesOf({
      name: '',
      when: { event: '', where: [{ path: 'properties.total', op: 'bigger', value: 1 }] },
      unless: { event: 'x', within: '91d' },
      send: { channels: [], content: 'hi', to: { phone: '+15550001234' } },
      limits: { cap: { max: 0, per: '1d' } },
    });
    expect(issues.map((issue) => issue.field)).toEqual([
      'name',
      'when.event',
      'when.where[0].op',
      'unless.within',
      'send.to',
      'send.channels',
      'send.content',
      'limits.cap.max',
    ]);
  });

  describe('name', () => {
    it.each<[string, unknown, string]>([
      ['missing', undefined, 'required: a string of 1 to 200 characters'],
      ['empty', '', 'must be a string of 1 to 200 characters'],
      ['blank', '   ', 'must be a string of 1 to 200 characters'],
      ['not a string', 7, 'must be a string of 1 to 200 characters'],
      ['201 characters long', 'n'.repeat(201), 'must be a string of 1 to 200 characters'],
    ])('should refuse a name that is %s', (_label, name, issue) => {
      expect(issuesWith({ name })).toEqual([{ field: 'name', issue }]);
    });

    it('should accept 200 characters', () => {
      expect(issuesWith({ name: 'n'.repeat(200) })).toEqual([]);
    });
  });

  describe('when and inactivity', () => {
    it('should need one of them', () => {
      expect(issuesWith({ when: undefined })).toEqual([{ field: 'when', issue: 'give when (an event) or inactivity' }]);
    });

    it('should refuse when that is not an object', () => {
      expect(issuesWith({ when: 'checkout_started' })).toEqual([
        { field: 'when', issue: 'must be an object {event, where}' },
      ]);
    });

    it('should refuse inactivity that is not an object', () => {
      expect(issuesWith({ inactivity: '30d' })).toEqual([{ field: 'inactivity', issue: 'must be an object {for}' }]);
    });

    it('should report where issues under when.where', () => {
      expect(issuesWith({ when: { event: 'a', where: [{ path: 'p', op: 'in', value: [] }] } })).toEqual([
        { field: 'when.where[0].value', issue: 'must be a non-empty array for op "in"' },
      ]);
      expect(issuesWith({ when: { event: 'a', where: { path: 'p' } } })).toEqual([
        { field: 'when.where', issue: 'must be an array of conditions {path, op, value}' },
      ]);
    });

    it.each<[string, unknown]>([
      ['1s', '1s'],
      ['365d', '365d'],
    ])('should accept inactivity.for of %s', (_label, value) => {
      expect(issuesWith({ inactivity: { for: value } })).toEqual([]);
    });

    it.each<[unknown, string]>([
      [undefined, 'required: a duration from 1s to 365d'],
      ['0s', 'must be a duration from 1s to 365d'],
      ['366d', 'must be a duration from 1s to 365d'],
      ['a month', 'must be a duration from 1s to 365d'],
    ])('should refuse inactivity.for of %p', (value, start) => {
      expect(issuesWith({ inactivity: { for: value } })).toEqual([
        { field: 'inactivity.for', issue: expect.stringContaining(start) },
      ]);
    });
  });

  describe('event names', () => {
    it.each<[string, unknown, unknown]>([
      ['missing', undefined, 'required: a string of 1 to 200 characters'],
      ['empty', '', 'must be a string of 1 to 200 characters'],
      ['not a string', 3, 'must be a string of 1 to 200 characters'],
      ['too long', 'e'.repeat(201), 'must be a string of 1 to 200 characters'],
      ['holding a line break', 'order\ncompleted', expect.stringContaining('printable characters only')],
      ['holding a control character', 'order\u0000', expect.stringContaining('printable characters only')],
    ])('should refuse an event name that is %s', (_label, event, issue) => {
      expect(issuesWith({ when: { event } })).toEqual([{ field: 'when.event', issue }]);
      expect(issuesWith({ unless: { event, within: '1h' } })).toEqual([{ field: 'unless.event', issue }]);
      expect(issuesWith({ conversion: { event, within: '1h' } })).toEqual([{ field: 'conversion.event', issue }]);
    });

    it('should accept printable names with spaces, dots and non-Latin letters', () => {
      expect(issuesWith({ when: { event: 'Order Completed.v2 – Größe' } })).toEqual([]);
    });
  });

  describe('unless', () => {
    it('should need when', () => {
      expect(
        issuesWith({ when: undefined, inactivity: { for: '30d' }, unless: { event: 'paid', within: '1h' } }),
      ).toEqual([{ field: 'unless', issue: expect.stringContaining('needs when') }]);
    });

    it('should refuse unless that is not an object', () => {
      expect(issuesWith({ unless: 'paid' })).toEqual([
        { field: 'unless', issue: 'must be an object {event, within, matchOn}' },
      ]);
    });

    it.each(['1s', '90d', 'PT2H'])('should accept unless.within of %p', (within) => {
      expect(issuesWith({ unless: { event: 'paid', within } })).toEqual([]);
    });

    it.each<[unknown, string]>([
      [undefined, 'required: a duration from 1s to 90d'],
      ['0s', 'must be a duration from 1s to 90d'],
      ['500ms', 'must be a duration from 1s to 90d'],
      ['91d', 'must be a duration from 1s to 90d'],
      ['soon', 'must be a duration from 1s to 90d'],
      [-5, 'must be a duration from 1s to 90d'],
    ])('should refuse unless.within of %p', (within, start) => {
      expect(issuesWith({ unless: { event: 'paid', within } })).toEqual([
        { field: 'unless.within', issue: expect.stringContaining(start) },
      ]);
    });

    it('should check matchOn as a path', () => {
      expect(issuesWith({ unless: { event: 'paid', within: '1h', matchOn: 'properties.cart id' } })).toEqual([
        { field: 'unless.matchOn', issue: expect.stringContaining('must be dotted segments') },
      ]);
      expect(issuesWith({ unless: { event: 'paid', within: '1h', matchOn: 5 } })).toEqual([
        { field: 'unless.matchOn', issue: 'required: a dotted path such as "properties.total"' },
      ]);
    });
  });

  describe('count', () => {
    it('should need when', () => {
      expect(issuesWith({ when: undefined, inactivity: { for: '1d' }, count: { atLeast: 2, within: '1h' } })).toEqual([
        { field: 'count', issue: expect.stringContaining('needs when') },
      ]);
    });

    it('should accept the bounds', () => {
      expect(issuesWith({ count: { atLeast: 1, within: '1s' } })).toEqual([]);
      expect(issuesWith({ count: { atLeast: 10_000, within: '90d' } })).toEqual([]);
    });

    it.each<[unknown, string]>([
      [undefined, 'required: an integer from 1 to 10000'],
      [0, 'must be an integer from 1 to 10000'],
      [10_001, 'must be an integer from 1 to 10000'],
      [2.5, 'must be an integer from 1 to 10000'],
      ['3', 'must be an integer from 1 to 10000'],
    ])('should refuse count.atLeast of %p', (atLeast, issue) => {
      expect(issuesWith({ count: { atLeast, within: '1h' } })).toEqual([{ field: 'count.atLeast', issue }]);
    });

    it.each([[undefined], ['0s'], ['91d']])('should refuse count.within of %p', (within) => {
      expect(issuesWith({ count: { atLeast: 2, within } })).toEqual([
        { field: 'count.within', issue: expect.stringContaining('a duration from 1s to 90d') },
      ]);
    });

    it('should refuse count that is not an object', () => {
      expect(issuesWith({ count: 3 })).toEqual([{ field: 'count', issue: 'must be an object {atLeast, within}' }]);
    });
  });

  describe('first', () => {
    it('should be read as a boolean', () => {
      expect(parseTriggerDefinition({ ...minimal(), first: true }).definition?.first).toBe(true);
      expect(issuesWith({ first: 'yes' })).toEqual([{ field: 'first', issue: 'must be true or false' }]);
    });

    it('should need when when true, but not when false', () => {
      const inactivity = { for: '30d' };
      expect(issuesWith({ when: undefined, inactivity, first: true })).toEqual([
        { field: 'first', issue: expect.stringContaining('needs when') },
      ]);
      expect(issuesWith({ when: undefined, inactivity, first: false })).toEqual([]);
    });
  });

  describe('delay', () => {
    it.each<[unknown, number]>([
      ['0s', 0],
      [0, 0],
      ['15m', 900_000],
      ['30d', 30 * DAY],
    ])('should accept %p', (delay, delayMs) => {
      expect(parseTriggerDefinition({ ...minimal(), delay }).definition?.delayMs).toBe(delayMs);
    });

    it.each([['31d'], [-1], ['later'], [{}]])('should refuse %p', (delay) => {
      expect(issuesWith({ delay })).toEqual([
        { field: 'delay', issue: expect.stringContaining('must be a duration from 0s to 30d') },
      ]);
    });
  });

  describe('send', () => {
    it.each([[undefined], [null], ['sms'], [['sms']]])('should require an object, not %p', (send) => {
      expect(issuesWith({ send })).toEqual([
        { field: 'send', issue: 'required: a message body without "to" {channels, content, …}' },
      ]);
    });

    it('should refuse to', () => {
      expect(issuesWith({ send: { to: { contactId: 'c-1' }, channels: ['sms'], content: {} } })).toEqual([
        { field: 'send.to', issue: 'the trigger addresses its contact; remove to' },
      ]);
    });

    it.each([[undefined], [[]], ['sms']])('should require a non-empty channel list, not %p', (channels) => {
      expect(issuesWith({ send: { channels, content: {} } })).toEqual([
        {
          field: 'send.channels',
          issue: 'required: a non-empty list of sms, whatsapp, viber, rcs, email in cascade order',
        },
      ]);
    });

    it('should name unknown and repeated channels', () => {
      expect(issuesWith({ send: { channels: ['sms', 'fax', 'sms', 3], content: {} } })).toEqual([
        { field: 'send.channels[1]', issue: 'unknown channel "fax": use one of sms, whatsapp, viber, rcs, email' },
        { field: 'send.channels[2]', issue: 'repeats sms: each channel may appear once' },
        { field: 'send.channels[3]', issue: 'must be a channel name: use one of sms, whatsapp, viber, rcs, email' },
      ]);
    });

    it('should accept all five channels', () => {
      expect(issuesWith({ send: { channels: ['whatsapp', 'viber', 'rcs', 'sms', 'email'], content: {} } })).toEqual([]);
    });

    it.each([[undefined], ['Hi'], [[]], [null]])('should require content as an object, not %p', (content) => {
      expect(issuesWith({ send: { channels: ['sms'], content } })).toEqual([
        { field: 'send.content', issue: 'required: an object with the content per channel' },
      ]);
    });
  });

  describe('limits', () => {
    it('should refuse limits that is not an object', () => {
      expect(issuesWith({ limits: [] })).toEqual([
        { field: 'limits', issue: 'must be an object {oncePer, cap, quietHours}' },
      ]);
    });

    it('should check oncePer as a path', () => {
      expect(issuesWith({ limits: { oncePer: 'properties.cartId' } })).toEqual([]);
      expect(issuesWith({ limits: { oncePer: '' } })).toEqual([
        { field: 'limits.oncePer', issue: 'required: a dotted path such as "properties.total"' },
      ]);
    });

    it('should accept the cap bounds', () => {
      expect(issuesWith({ limits: { cap: { max: 1, per: '1s' } } })).toEqual([]);
      expect(issuesWith({ limits: { cap: { max: 1000, per: '365d' } } })).toEqual([]);
    });

    it.each<[unknown, string]>([
      [undefined, 'required: an integer from 1 to 1000'],
      [0, 'must be an integer from 1 to 1000'],
      [1001, 'must be an integer from 1 to 1000'],
      [1.5, 'must be an integer from 1 to 1000'],
    ])('should refuse limits.cap.max of %p', (max, issue) => {
      expect(issuesWith({ limits: { cap: { max, per: '1d' } } })).toEqual([{ field: 'limits.cap.max', issue }]);
    });

    it.each([[undefined], ['0s'], ['366d'], ['daily']])('should refuse limits.cap.per of %p', (per) => {
      expect(issuesWith({ limits: { cap: { max: 1, per } } })).toEqual([
        { field: 'limits.cap.per', issue: expect.stringContaining('a duration from 1s to 365d') },
      ]);
    });

    it('should refuse cap that is not an object', () => {
      expect(issuesWith({ limits: { cap: 1 } })).toEqual([
        { field: 'limits.cap', issue: 'must be an object {max, per}' },
      ]);
    });

    it.each([
      ['00:00', '23:59'],
      ['12:00', '14:00'],
      ['21:00', '08:00'],
    ])('should accept quiet hours %s to %s', (from, to) => {
      expect(parseTriggerDefinition({ ...minimal(), limits: { quietHours: { from, to } } }).definition?.limits).toEqual(
        { quietHours: { from, to } },
      );
    });

    it.each([['24:00'], ['7:00'], ['08:60'], ['0800'], ['08:00:00'], [800]])(
      'should refuse the time of day %p',
      (value) => {
        const issue = 'must be a time of day "HH:MM" from 00:00 to 23:59';
        expect(issuesWith({ limits: { quietHours: { from: value, to: '08:00' } } })).toEqual([
          { field: 'limits.quietHours.from', issue },
        ]);
        expect(issuesWith({ limits: { quietHours: { from: '21:00', to: value } } })).toEqual([
          { field: 'limits.quietHours.to', issue },
        ]);
      },
    );

    it('should require both ends of the quiet hours', () => {
      expect(issuesWith({ limits: { quietHours: {} } })).toEqual([
        { field: 'limits.quietHours.from', issue: 'required: a time of day "HH:MM" from 00:00 to 23:59' },
        { field: 'limits.quietHours.to', issue: 'required: a time of day "HH:MM" from 00:00 to 23:59' },
      ]);
    });

    it('should refuse an empty window', () => {
      expect(issuesWith({ limits: { quietHours: { from: '08:00', to: '08:00' } } })).toEqual([
        { field: 'limits.quietHours.to', issue: 'must differ from "from": the window would be empty' },
      ]);
    });
  });

  describe('conversion', () => {
    it.each([[undefined], ['0s'], ['91d']])('should refuse conversion.within of %p', (within) => {
      expect(issuesWith({ conversion: { event: 'paid', within } })).toEqual([
        { field: 'conversion.within', issue: expect.stringContaining('a duration from 1s to 90d') },
      ]);
    });

    it('should refuse conversion that is not an object', () => {
      expect(issuesWith({ conversion: 'paid' })).toEqual([
        { field: 'conversion', issue: 'must be an object {event, within}' },
      ]);
    });
  });
});

describe(mergeTriggerPatch.name, () => {
  it('should replace top-level keys whole and keep the others', () => {
    const current = example();
    const merged = mergeTriggerPatch(current, { name: 'Renamed', limits: { oncePer: 'properties.orderId' } });
    expect(merged).toEqual({ ...example(), name: 'Renamed', limits: { oncePer: 'properties.orderId' } });
  });

  it('should remove keys set to null and ignore undefined ones', () => {
    const merged = mergeTriggerPatch(example(), { unless: null, count: null, name: undefined });
    expect(merged).not.toHaveProperty('unless');
    expect(merged).not.toHaveProperty('count');
    expect(merged.name).toBe('Cart abandonment');
  });

  it('should not change the current definition', () => {
    const current = example();
    mergeTriggerPatch(current, { name: 'Other', delay: null });
    expect(current).toEqual(example());
  });

  it('should give a body that parses again', () => {
    const merged = mergeTriggerPatch(example(), { when: null, unless: null, count: null });
    expect(parseTriggerDefinition(merged).issues).toEqual([]);
  });
});

describe(templateRefs.name, () => {
  it('should list the WhatsApp template with its language and the named templates of the other channels', () => {
    const send = {
      channels: ['whatsapp', 'sms', 'email'],
      content: {
        email: { template: 'cart_email' },
        sms: { template: 'cart_sms' },
        viber: { template: 'cart_viber' },
        rcs: { template: 'cart_rcs' },
        whatsapp: { template: { name: 'cart_reminder', language: 'en_US', parameters: { body: ['Ana'] } } },
      },
    };
    expect(templateRefs(send)).toEqual([
      { channel: 'sms', name: 'cart_sms' },
      { channel: 'whatsapp', name: 'cart_reminder', language: 'en_US' },
      { channel: 'viber', name: 'cart_viber' },
      { channel: 'rcs', name: 'cart_rcs' },
      { channel: 'email', name: 'cart_email' },
    ]);
  });

  it('should leave the language out when the WhatsApp template gives none', () => {
    expect(templateRefs({ content: { whatsapp: { template: { name: 'cart_reminder' } } } })).toEqual([
      { channel: 'whatsapp', name: 'cart_reminder' },
    ]);
  });

  it('should ignore inline content and malformed template references', () => {
    const send = {
      content: {
        text: 'Hi',
        sms: { text: 'Hi' },
        email: { template: { name: 'not-a-string-ref' } },
        viber: 'Hi',
        whatsapp: { template: 'cart_reminder' },
        rcs: { template: 7 },
      },
    };
    expect(templateRefs(send)).toEqual([]);
  });

  it('should give nothing when there is no content', () => {
    expect(templateRefs({})).toEqual([]);
    expect(templateRefs({ content: 'Hi' })).toEqual([]);
  });
});
