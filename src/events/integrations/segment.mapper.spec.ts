import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { mapSegment } from './segment.mapper.js';

type Json = Record<string, unknown>;

/** Segment's own documentation examples; see test/fixtures/integrations/SOURCES.md. */
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/integrations/${name}`, import.meta.url), 'utf8')) as Json;

describe('mapSegment', () => {
  it('should map the Spec track example to a track event keyed by messageId', () => {
    expect(mapSegment(fixture('segment-track.json'))).toEqual({
      events: [
        {
          id: 'ajs-f8ca1e4de5024d9430b3928bd8ac6b96',
          contactId: 'AiUGstSDIg',
          event: 'Course Clicked',
          properties: { title: 'Intro to Analytics' },
          timestamp: '2015-12-12T19:11:01.249Z',
          kind: 'track',
        },
      ],
      issues: [],
    });
  });

  it('should fall back to anonymousId, then to originalTimestamp', () => {
    const { userId: _userId, timestamp: _timestamp, ...anonymous } = fixture('segment-track.json');
    const [event] = mapSegment(anonymous).events;
    expect(event.contactId).toBe('23adfd82-aa0f-45a7-a756-24f2a7a4c895');
    expect(event.timestamp).toBe('2015-12-12T19:11:01.152Z');
  });

  it('should take the contact from context.traits, locale and timezone on a track call', () => {
    const call = fixture('segment-track.json');
    // The track example with the context a mobile source adds (traits as in the Identify example).
    call.context = {
      ...(call.context as Json),
      locale: 'en-us',
      timezone: 'America/New_York',
      traits: {
        email: ' Peter@Example.com ',
        phone: '+1 415-555-2671',
        first_name: 'Peter',
        lastName: 'Gibbons',
        plan: 'premium',
      },
    };
    expect(mapSegment(call).events[0].contact).toEqual({
      email: 'peter@example.com',
      phone: '+14155552671',
      timezone: 'America/New_York',
      locale: 'en-US',
      attributes: { firstName: 'Peter', lastName: 'Gibbons', plan: 'premium' },
    });
  });

  it('should drop an invalid email, phone, time zone and locale but keep the event', () => {
    const call = fixture('segment-track.json');
    call.context = { timezone: 'Mars/Olympus', locale: '??', traits: { email: 'not-an-email', phone: 'call me' } };
    expect(mapSegment(call).events[0].contact).toBeUndefined();
    // Without its country code a number cannot be read safely: 3213213210 would become +32 (Belgium).
    call.context = { traits: { phone: '3213213210' } };
    const result = mapSegment(call);
    expect(result.events[0].contact).toBeUndefined();
    expect(result.issues).toEqual([]);
  });

  it('should map the Spec identify example to a contact update, not a behavioural event', () => {
    expect(mapSegment(fixture('segment-identify.json'))).toEqual({
      events: [
        {
          id: '022bb90c-bbac-11e4-8dfc-aa07a5b093db',
          contactId: '97980cfea0067',
          event: 'identify',
          properties: {},
          timestamp: '2015-02-23T22:28:55.111Z',
          contact: {
            email: 'peter@example.com',
            attributes: {
              name: 'Peter Gibbons',
              plan: 'premium',
              logins: 5,
              address: { street: '6th St', city: 'San Francisco', state: 'CA', postalCode: '94103', country: 'USA' },
            },
          },
          kind: 'identify',
        },
      ],
      issues: [],
    });
  });

  it('should map a page call to page_view with the page name among the properties', () => {
    const [event] = mapSegment(fixture('segment-page.json')).events;
    expect(event).toMatchObject({ event: 'page_view', contactId: '97980cfea0067', kind: 'track' });
    expect(event.properties).toEqual({ title: 'Welcome | Initech', url: 'http://www.example.com', name: 'Home' });
  });

  it('should keep properties.path of a page call for rules that match on it', () => {
    const call = {
      ...fixture('segment-page.json'),
      properties: { path: '/checkout', url: 'https://shop.example/checkout' },
    };
    expect(mapSegment(call).events[0].properties).toEqual({
      path: '/checkout',
      url: 'https://shop.example/checkout',
      name: 'Home',
    });
  });

  it('should map a screen call to screen_view', () => {
    const [event] = mapSegment(fixture('segment-screen.json')).events;
    expect(event).toMatchObject({
      event: 'screen_view',
      properties: { variation: 'blue signup button', name: 'Home' },
    });
  });

  it('should report a track call without an event name on field event', () => {
    // The Common Fields example is a "track" that carries only the common fields.
    expect(mapSegment(fixture('segment-common-fields.json'))).toEqual({
      events: [],
      issues: [{ field: 'event', issue: 'missing: a track call names its event' }],
    });
  });

  it('should read locale and timezone from the common context', () => {
    const call = { ...fixture('segment-common-fields.json'), event: 'Order Completed' };
    expect(mapSegment(call).events[0].contact).toEqual({ timezone: 'Europe/Amsterdam', locale: 'en-US' });
  });

  it('should map the HTTP API batch example and report its malformed timestamps by index', () => {
    const result = mapSegment(fixture('segment-batch.json'));
    expect(result.events.map((e) => [e.kind, e.event, e.contactId, e.timestamp])).toEqual([
      ['identify', 'identify', '019mr8mf4r', '2012-12-02T00:30:08.276Z'],
      ['track', 'Song Played', '019mr8mf4r', '2012-12-02T00:30:12.984Z'],
      ['identify', 'identify', '971mj8mk7p', undefined],
      ['track', 'Song Played', '971mj8mk7p', undefined],
    ]);
    expect(result.events[0].contact).toEqual({
      email: 'jake@yahoo.com',
      attributes: { name: 'Jake Peterson', age: 26 },
    });
    expect(result.events[3].properties).toEqual({ name: 'Get Right', artist: 'Jennifer Lopez' });
    // The documented example really says "2015-2-02T…": not ISO 8601.
    expect(result.issues).toEqual([
      { field: 'batch[2].timestamp', issue: 'not an ISO 8601 date-time: ignored' },
      { field: 'batch[3].timestamp', issue: 'not an ISO 8601 date-time: ignored' },
    ]);
  });

  it('should merge the batch context under each call context', () => {
    const body = {
      batch: [
        { type: 'track', userId: 'u1', event: 'A' },
        { type: 'track', userId: 'u2', event: 'B', context: { timezone: 'Asia/Tokyo' } },
      ],
      context: { timezone: 'Europe/Paris', locale: 'fr-FR' },
    };
    expect(mapSegment(body).events.map((e) => e.contact)).toEqual([
      { timezone: 'Europe/Paris', locale: 'fr-FR' },
      { timezone: 'Asia/Tokyo', locale: 'fr-FR' },
    ]);
  });

  it('should report unsupported types and missing ids per call and still map the rest', () => {
    const body = fixture('segment-batch.json');
    body.batch = [
      ...(body.batch as unknown[]),
      { type: 'group', userId: '019mr8mf4r', groupId: '8e9df332ac' },
      { type: 'alias', previousId: '39239-239239-239239-23923', userId: '019mr8mf4r' },
      { type: 'track', event: 'Song Played' },
      { type: 'track', userId: 'has spaces', event: 'Song Played' },
    ];
    const result = mapSegment(body);
    expect(result.events).toHaveLength(4);
    expect(result.issues.slice(2)).toEqual([
      { field: 'batch[4].type', issue: 'unsupported type "group"' },
      { field: 'batch[5].type', issue: 'unsupported type "alias"' },
      { field: 'batch[6].userId', issue: 'missing: a call needs userId or anonymousId' },
      { field: 'batch[7].userId', issue: 'not a contact id: 1-128 letters, digits and . _ : @ + -' },
    ]);
  });

  it('should report both a missing id and a missing event name of one call', () => {
    expect(mapSegment({ type: 'track' }).issues.map((i) => i.field)).toEqual(['userId', 'event']);
  });

  it('should use empty properties when properties is not an object', () => {
    const call = { ...fixture('segment-track.json'), properties: ['not', 'an', 'object'] };
    expect(mapSegment(call).events[0].properties).toEqual({});
  });

  it('should refuse a batch of more than 1000 calls', () => {
    const batch = Array.from({ length: 1001 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'E' }));
    expect(mapSegment({ batch })).toEqual({
      events: [],
      issues: [{ field: 'batch', issue: 'an array of at most 1000 calls' }],
    });
  });

  it.each([
    ['null', null, 'body'],
    ['an array', [fixture('segment-track.json')], 'body'],
    ['a string', 'track', 'body'],
    ['a number', 42, 'body'],
    ['a call without type', { userId: 'u1', event: 'E' }, 'type'],
    ['a batch that is not an array', { batch: 'x' }, 'batch'],
    ['a batch of non-objects', { batch: [null] }, 'batch[0]'],
    ['a numeric type', { type: 7, userId: 'u1' }, 'type'],
  ])('should report %s as an issue, not throw', (_label, body, field) => {
    const result = mapSegment(body);
    expect(result.events).toEqual([]);
    expect(result.issues[0].field).toBe(field);
  });
});
