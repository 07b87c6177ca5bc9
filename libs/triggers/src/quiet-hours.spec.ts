import { describe, expect, it } from '@jest/globals';
import { isValidTimeZone, quietHoursEnd } from './quiet-hours.js';

const NIGHT = { from: '21:00', to: '08:00' };
const LUNCH = { from: '12:00', to: '14:00' };

/** The end of the window as an ISO string in UTC, or null when `at` is outside it. */
function end(at: string, zone: string | null, window: { from: string; to: string }): string | null {
  return quietHoursEnd(new Date(at), zone, window)?.toISOString() ?? null;
}

describe(isValidTimeZone.name, () => {
  it.each(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'])('should accept %p', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['', 'Mars/Olympus_Mons', 'Berlin', 'not a zone'])('should refuse %p', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe(quietHoursEnd.name, () => {
  describe('a window across midnight (21:00 to 08:00), in UTC', () => {
    it.each<[string, string | null]>([
      ['2026-05-10T22:00:00.000Z', '2026-05-11T08:00:00.000Z'],
      ['2026-05-10T23:59:59.999Z', '2026-05-11T08:00:00.000Z'],
      ['2026-05-11T00:00:00.000Z', '2026-05-11T08:00:00.000Z'],
      ['2026-05-11T03:00:00.000Z', '2026-05-11T08:00:00.000Z'],
      ['2026-05-11T07:59:59.999Z', '2026-05-11T08:00:00.000Z'],
      ['2026-05-10T12:00:00.000Z', null],
      ['2026-05-10T20:59:59.999Z', null],
    ])('should end the window that holds %s at %p', (at, expected) => {
      expect(end(at, null, NIGHT)).toBe(expected);
    });

    it('should count `from` as inside', () => {
      expect(end('2026-05-10T21:00:00.000Z', null, NIGHT)).toBe('2026-05-11T08:00:00.000Z');
    });

    it('should count `to` as outside', () => {
      expect(end('2026-05-11T08:00:00.000Z', null, NIGHT)).toBeNull();
    });

    it('should cross a month and a year end', () => {
      expect(end('2026-12-31T22:30:00.000Z', null, NIGHT)).toBe('2027-01-01T08:00:00.000Z');
    });
  });

  describe('a window within one day (12:00 to 14:00)', () => {
    it.each<[string, string | null]>([
      ['2026-05-10T12:00:00.000Z', '2026-05-10T14:00:00.000Z'],
      ['2026-05-10T13:59:59.999Z', '2026-05-10T14:00:00.000Z'],
      ['2026-05-10T14:00:00.000Z', null],
      ['2026-05-10T11:59:59.999Z', null],
      ['2026-05-10T23:00:00.000Z', null],
      ['2026-05-10T01:00:00.000Z', null],
    ])('should end the window that holds %s at %p', (at, expected) => {
      expect(end(at, null, LUNCH)).toBe(expected);
    });

    it('should read the window on the wall clock of the zone', () => {
      // 12:30 in New York (EDT, UTC−4) is 16:30 UTC; 12:30 UTC is 08:30 there.
      expect(end('2026-06-01T16:30:00.000Z', 'America/New_York', LUNCH)).toBe('2026-06-01T18:00:00.000Z');
      expect(end('2026-06-01T12:30:00.000Z', 'America/New_York', LUNCH)).toBeNull();
    });
  });

  describe('time zones', () => {
    it('should use UTC when the zone is null or not a valid IANA zone', () => {
      for (const zone of [null, 'Mars/Olympus_Mons', '']) {
        expect(end('2026-05-10T22:00:00.000Z', zone, NIGHT)).toBe('2026-05-11T08:00:00.000Z');
        expect(end('2026-05-10T20:00:00.000Z', zone, NIGHT)).toBeNull();
      }
    });

    it('should read Europe/Berlin in winter (UTC+1) and summer (UTC+2)', () => {
      expect(end('2026-01-15T20:30:00.000Z', 'Europe/Berlin', NIGHT)).toBe('2026-01-16T07:00:00.000Z');
      expect(end('2026-01-15T19:59:00.000Z', 'Europe/Berlin', NIGHT)).toBeNull();
      expect(end('2026-07-01T21:00:00.000Z', 'Europe/Berlin', NIGHT)).toBe('2026-07-02T06:00:00.000Z');
      expect(end('2026-07-01T19:00:00.000Z', 'Europe/Berlin', NIGHT)).toBe('2026-07-02T06:00:00.000Z');
      expect(end('2026-07-01T18:59:59.999Z', 'Europe/Berlin', NIGHT)).toBeNull();
    });

    it('should read a zone with a half-hour offset', () => {
      // Asia/Kolkata is UTC+5:30: 21:00 there is 15:30 UTC, 08:00 is 02:30 UTC.
      expect(end('2026-05-10T15:30:00.000Z', 'Asia/Kolkata', NIGHT)).toBe('2026-05-11T02:30:00.000Z');
      expect(end('2026-05-10T15:29:00.000Z', 'Asia/Kolkata', NIGHT)).toBeNull();
    });
  });

  describe('on the day clocks go forward', () => {
    // Europe/Berlin, 2026-03-29: 02:00 CET (UTC+1) becomes 03:00 CEST (UTC+2), at 01:00 UTC.
    it('should end at 08:00 summer time in Berlin for a night that began in winter time', () => {
      const ends = '2026-03-29T06:00:00.000Z';
      expect(end('2026-03-28T20:00:00.000Z', 'Europe/Berlin', NIGHT)).toBe(ends); // 21:00 CET, exactly `from`
      expect(end('2026-03-29T00:30:00.000Z', 'Europe/Berlin', NIGHT)).toBe(ends); // 01:30 CET
      expect(end('2026-03-29T01:00:00.000Z', 'Europe/Berlin', NIGHT)).toBe(ends); // 03:00 CEST
      expect(end('2026-03-29T05:59:59.999Z', 'Europe/Berlin', NIGHT)).toBe(ends); // 07:59 CEST
    });

    it('should not hold Berlin at 08:00 CEST, though it is 07:00 in winter time', () => {
      expect(end('2026-03-29T06:00:00.000Z', 'Europe/Berlin', NIGHT)).toBeNull();
      expect(end('2026-03-28T19:59:00.000Z', 'Europe/Berlin', NIGHT)).toBeNull();
    });

    // America/New_York, 2026-03-08: 02:00 EST (UTC−5) becomes 03:00 EDT (UTC−4), at 07:00 UTC.
    it('should end at 08:00 daylight time in New York for a night that began in standard time', () => {
      const ends = '2026-03-08T12:00:00.000Z';
      expect(end('2026-03-08T02:00:00.000Z', 'America/New_York', NIGHT)).toBe(ends); // 21:00 EST, exactly `from`
      expect(end('2026-03-08T06:30:00.000Z', 'America/New_York', NIGHT)).toBe(ends); // 01:30 EST
      expect(end('2026-03-08T07:30:00.000Z', 'America/New_York', NIGHT)).toBe(ends); // 03:30 EDT
      expect(end('2026-03-08T12:00:00.000Z', 'America/New_York', NIGHT)).toBeNull(); // 08:00 EDT, exactly `to`
      expect(end('2026-03-08T01:59:00.000Z', 'America/New_York', NIGHT)).toBeNull(); // 20:59 EST
    });

    it('should start the evening window of the change day in daylight time', () => {
      // 21:00 EDT on 2026-03-08 is 01:00 UTC on the 9th.
      expect(end('2026-03-09T00:59:00.000Z', 'America/New_York', NIGHT)).toBeNull();
      expect(end('2026-03-09T01:00:00.000Z', 'America/New_York', NIGHT)).toBe('2026-03-09T12:00:00.000Z');
    });

    it('should keep a daytime window on the wall clock of the change day', () => {
      expect(end('2026-03-29T10:00:00.000Z', 'Europe/Berlin', LUNCH)).toBe('2026-03-29T12:00:00.000Z');
      expect(end('2026-03-29T09:59:00.000Z', 'Europe/Berlin', LUNCH)).toBeNull();
    });

    it('should end a window whose end the clock skips at the moment of the jump', () => {
      // 02:30 does not exist in Berlin on 2026-03-29: the clock reads 03:00 CEST at 01:00 UTC and the window is over.
      const window = { from: '22:00', to: '02:30' };
      expect(end('2026-03-28T22:00:00.000Z', 'Europe/Berlin', window)).toBe('2026-03-29T01:00:00.000Z');
      expect(end('2026-03-29T00:59:00.000Z', 'Europe/Berlin', window)).toBe('2026-03-29T01:00:00.000Z');
      expect(end('2026-03-29T01:00:00.000Z', 'Europe/Berlin', window)).toBeNull();
    });

    it('should hold a window whose start the clock skips from the jump on', () => {
      const window = { from: '02:30', to: '05:00' };
      expect(end('2026-03-29T00:59:00.000Z', 'Europe/Berlin', window)).toBeNull(); // 01:59 CET
      expect(end('2026-03-29T01:00:00.000Z', 'Europe/Berlin', window)).toBe('2026-03-29T03:00:00.000Z'); // 03:00 CEST
    });
  });

  describe('on the day clocks go back', () => {
    // Europe/Berlin, 2026-10-25: 03:00 CEST (UTC+2) becomes 02:00 CET (UTC+1), at 01:00 UTC.
    it('should end at 08:00 winter time in Berlin for a night that began in summer time', () => {
      expect(end('2026-10-24T19:00:00.000Z', 'Europe/Berlin', NIGHT)).toBe('2026-10-25T07:00:00.000Z');
      expect(end('2026-10-25T06:30:00.000Z', 'Europe/Berlin', NIGHT)).toBe('2026-10-25T07:00:00.000Z');
      expect(end('2026-10-25T07:00:00.000Z', 'Europe/Berlin', NIGHT)).toBeNull();
    });

    // America/New_York, 2026-11-01: 02:00 EDT (UTC−4) becomes 01:00 EST (UTC−5), at 06:00 UTC.
    it('should end at 08:00 standard time in New York', () => {
      expect(end('2026-11-01T01:00:00.000Z', 'America/New_York', NIGHT)).toBe('2026-11-01T13:00:00.000Z');
      expect(end('2026-11-01T12:59:00.000Z', 'America/New_York', NIGHT)).toBe('2026-11-01T13:00:00.000Z');
    });

    it('should end at the first 02:30 when the window began before, and at the second when it is read after', () => {
      // 02:30 happens twice in Berlin: 00:30 UTC (CEST) and 01:30 UTC (CET).
      const window = { from: '23:00', to: '02:30' };
      expect(end('2026-10-24T21:30:00.000Z', 'Europe/Berlin', window)).toBe('2026-10-25T00:30:00.000Z');
      expect(end('2026-10-25T00:45:00.000Z', 'Europe/Berlin', window)).toBeNull(); // 02:45 CEST
      expect(end('2026-10-25T01:10:00.000Z', 'Europe/Berlin', window)).toBe('2026-10-25T01:30:00.000Z'); // 02:10 CET
    });
  });

  it.each([[{ from: '08:00', to: '08:00' }], [{ from: '25:00', to: '08:00' }], [{ from: '21:00', to: '8am' }]])(
    'should find no window in %p',
    (window) => {
      expect(end('2026-05-10T08:00:00.000Z', null, window)).toBeNull();
    },
  );
});
