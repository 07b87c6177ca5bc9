import { describe, expect, it } from '@jest/globals';
import { MAX_EVENTS_PER_REQUEST, parseEventsRequest } from './events.request.js';

const now = new Date('2026-12-03T12:00:00Z');
const fields = (result: ReturnType<typeof parseEventsRequest>) =>
  Array.isArray(result) ? result.map((d) => d.field) : [];

describe(parseEventsRequest.name, () => {
  it('should read one event with its defaults', () => {
    expect(parseEventsRequest({ contactId: 'cust-42', event: 'checkout_started' }, now)).toEqual({
      batch: false,
      events: [{ contactId: 'cust-42', event: 'checkout_started', properties: {}, kind: 'track' }],
    });
  });

  it('should keep id, properties and a timestamp normalised to UTC', () => {
    const result = parseEventsRequest(
      {
        id: 'e-1',
        contactId: 'a@b.c',
        event: 'order_completed',
        properties: { total: 10 },
        timestamp: '2026-12-03T13:00:00+01:00',
      },
      now,
    );
    expect(result).toEqual({
      batch: false,
      events: [
        {
          id: 'e-1',
          contactId: 'a@b.c',
          event: 'order_completed',
          properties: { total: 10 },
          timestamp: '2026-12-03T12:00:00.000Z',
          kind: 'track',
        },
      ],
    });
  });

  it('should name every problem of a batch by index and keep none of it', () => {
    const result = parseEventsRequest(
      {
        events: [
          { contactId: 'ok', event: 'fine' },
          { contactId: 'has space', event: 'x' },
          { contactId: 'ok', event: '', extra: 1 },
          { contactId: 'ok', event: 'x', timestamp: '2026-02-30T00:00:00Z' },
          { contactId: 'ok', event: 'x', properties: [1] },
          'not an object',
        ],
      },
      now,
    );
    expect(fields(result)).toEqual([
      'events[1].contactId',
      'events[2].extra',
      'events[2].event',
      'events[3].timestamp',
      'events[4].properties',
      'events[5]',
    ]);
  });

  it('should refuse an empty or oversized batch and fields beside events', () => {
    expect(fields(parseEventsRequest({ events: [] }, now))).toEqual(['events']);
    const many = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => ({ contactId: 'a', event: 'b' }));
    expect(fields(parseEventsRequest({ events: many }, now))).toEqual(['events']);
    expect(fields(parseEventsRequest({ events: [{ contactId: 'a', event: 'b' }], extra: true }, now))).toEqual([
      'extra',
    ]);
  });

  it('should refuse a body that is not an object and a timestamp far in the future', () => {
    for (const body of [null, [], 'x', 42]) expect(fields(parseEventsRequest(body, now))).toEqual(['body']);
    expect(fields(parseEventsRequest({ contactId: 'a', event: 'b', timestamp: '2026-12-05T12:00:00Z' }, now))).toEqual([
      'timestamp',
    ]);
    expect(fields(parseEventsRequest({ contactId: 'a', event: 'b', timestamp: 1700000000 }, now))).toEqual([
      'timestamp',
    ]);
  });

  it('should refuse properties beyond 32 KiB and ids beyond 255 characters', () => {
    const big = { blob: 'x'.repeat(33 * 1024) };
    expect(fields(parseEventsRequest({ contactId: 'a', event: 'b', properties: big }, now))).toEqual(['properties']);
    expect(fields(parseEventsRequest({ contactId: 'a', event: 'b', id: 'i'.repeat(256) }, now))).toEqual(['id']);
  });
});
