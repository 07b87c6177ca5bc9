import { describe, expect, it } from '@jest/globals';
import { HeraldError } from '../common/herald-error.js';
import { parseOpenRangeQuery, parseRangeQuery, parseSummaryQuery } from './report-query.js';

const NOW = new Date('2026-05-10T12:00:00Z');

/** The `{field, issue}` details of the 400 that `run` throws. */
function refusal(run: () => unknown): { field: string; issue: string }[] {
  try {
    run();
  } catch (error) {
    if (!(error instanceof HeraldError)) throw error;
    expect(error.code).toBe('VALIDATION_FAILED');
    return error.details;
  }
  throw new Error('expected a validation error');
}

describe(parseSummaryQuery.name, () => {
  it('should default to the last 7 days up to now, grouped by channel, in UTC', () => {
    expect(parseSummaryQuery({}, NOW)).toEqual({
      groupBy: 'channel',
      from: new Date('2026-05-03T12:00:00Z'),
      to: NOW,
      timeZone: 'UTC',
    });
  });

  it('should read dates as midnight and offset-less times in tz, and keep explicit offsets', () => {
    expect(parseSummaryQuery({ from: '2026-05-01', to: '2026-05-02T06:00:00', tz: 'Europe/Madrid' }, NOW)).toEqual({
      groupBy: 'channel',
      from: new Date('2026-04-30T22:00:00Z'),
      to: new Date('2026-05-02T04:00:00Z'),
      timeZone: 'Europe/Madrid',
    });
    expect(parseSummaryQuery({ from: '2026-05-01T00:00:00+02:00', groupBy: 'day' }, NOW)).toMatchObject({
      from: new Date('2026-04-30T22:00:00Z'),
      to: NOW,
      groupBy: 'day',
    });
  });

  it('should take 7 days before an explicit to', () => {
    expect(parseSummaryQuery({ to: '2026-01-08' }, NOW)).toMatchObject({
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-01-08T00:00:00Z'),
    });
  });

  it('should refuse an unknown groupBy, bad dates, a bad zone and unknown parameters, naming each', () => {
    expect(
      refusal(() => parseSummaryQuery({ groupBy: 'colour', from: 'yesterday', tz: 'Mars/Base', gropBy: 'day' }, NOW)),
    ).toEqual([
      { field: 'gropBy', issue: expect.stringContaining('unknown parameter') },
      { field: 'groupBy', issue: 'one of channel, provider, template, trigger, broadcast, country, day' },
      { field: 'tz', issue: expect.any(String) },
      { field: 'from', issue: expect.stringContaining('ISO 8601') },
    ]);
    expect(refusal(() => parseSummaryQuery({ to: '2026-02-30' }, NOW))).toEqual([
      { field: 'to', issue: expect.stringContaining('ISO 8601') },
    ]);
    expect(refusal(() => parseSummaryQuery({ groupBy: ['day', 'channel'] }, NOW))).toEqual([
      { field: 'groupBy', issue: 'give it once' },
    ]);
  });

  it('should refuse to before from, naming to when it was given and from when it was not', () => {
    expect(refusal(() => parseSummaryQuery({ from: '2026-05-02', to: '2026-05-02' }, NOW))).toEqual([
      { field: 'to', issue: 'must be after from' },
    ]);
    expect(refusal(() => parseSummaryQuery({ from: '2026-06-01' }, NOW))).toEqual([
      { field: 'from', issue: 'must be before to (default: now)' },
    ]);
  });

  it('should accept 366 days and refuse more', () => {
    expect(parseSummaryQuery({ from: '2025-01-01', to: '2026-01-02' }, NOW).from).toEqual(
      new Date('2025-01-01T00:00:00Z'),
    );
    expect(refusal(() => parseSummaryQuery({ from: '2025-01-01', to: '2026-01-02T00:00:01Z' }, NOW))).toEqual([
      { field: 'to', issue: 'the range may span at most 366 days' },
    ]);
    expect(refusal(() => parseSummaryQuery({ from: '2024-01-01' }, NOW))).toEqual([
      { field: 'from', issue: 'the range may span at most 366 days' },
    ]);
  });
});

describe(parseRangeQuery.name, () => {
  it('should take the same range and refuse groupBy', () => {
    expect(parseRangeQuery({ from: '2026-05-01' }, NOW)).toEqual({
      from: new Date('2026-05-01T00:00:00Z'),
      to: NOW,
      timeZone: 'UTC',
    });
    expect(refusal(() => parseRangeQuery({ groupBy: 'day' }, NOW))).toEqual([
      { field: 'groupBy', issue: expect.stringContaining('unknown parameter') },
    ]);
  });
});

describe(parseOpenRangeQuery.name, () => {
  it('should leave a missing bound open and check the order of given ones', () => {
    expect(parseOpenRangeQuery({})).toEqual({ from: null, to: null });
    expect(parseOpenRangeQuery({ from: '2026-05-01' })).toEqual({ from: new Date('2026-05-01T00:00:00Z'), to: null });
    expect(refusal(() => parseOpenRangeQuery({ from: '2026-05-01', to: '2026-04-01' }))).toEqual([
      { field: 'to', issue: 'must be after from' },
    ]);
  });
});
