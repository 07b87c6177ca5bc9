import { describe, expect, it } from '@jest/globals';
import { parseDuration } from './duration.js';

describe(parseDuration.name, () => {
  describe('numbers (seconds)', () => {
    it.each([
      [0, 0],
      [1, 1_000],
      [90, 90_000],
      [0.5, 500],
      [1.2345, 1_235],
    ])('should read %p seconds as %p ms', (input, expected) => {
      expect(parseDuration(input)).toBe(expected);
    });

    it.each([-1, -0.001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
      'should reject the number %p',
      (input) => {
        expect(parseDuration(input)).toBeNull();
      },
    );
  });

  describe('numeric strings (seconds)', () => {
    it.each([
      ['0', 0],
      ['30', 30_000],
      ['1.5', 1_500],
      [' 45 ', 45_000],
    ])('should read %p as %p ms', (input, expected) => {
      expect(parseDuration(input)).toBe(expected);
    });
  });

  describe('short forms', () => {
    it.each([
      ['500ms', 500],
      ['90s', 90_000],
      ['30m', 1_800_000],
      ['2h', 7_200_000],
      ['14d', 1_209_600_000],
      ['1w', 604_800_000],
      ['1.5h', 5_400_000],
      ['0.5s', 500],
      ['10 s', 10_000],
      ['  2h  ', 7_200_000],
      ['0s', 0],
    ])('should read %p as %p ms', (input, expected) => {
      expect(parseDuration(input)).toBe(expected);
    });

    it('should tell minutes ("m") apart from milliseconds ("ms")', () => {
      expect(parseDuration('5m')).toBe(300_000);
      expect(parseDuration('5ms')).toBe(5);
    });
  });

  describe('ISO 8601', () => {
    it.each([
      ['PT2H', 7_200_000],
      ['P1DT2H', 93_600_000],
      ['PT0.5S', 500],
      ['PT30M', 1_800_000],
      ['PT1H30M', 5_400_000],
      ['PT1H2M3S', 3_723_000],
      ['P14D', 1_209_600_000],
      ['P2W', 1_209_600_000],
      ['P1W1D', 691_200_000],
      ['P0D', 0],
      ['pt2h', 7_200_000],
    ])('should read %p as %p ms', (input, expected) => {
      expect(parseDuration(input)).toBe(expected);
    });
  });

  describe('garbage', () => {
    it.each([
      [''],
      ['   '],
      ['abc'],
      ['P'],
      ['PT'],
      ['P1DT'],
      ['2x'],
      ['-5s'],
      ['-1'],
      ['5 minutes'],
      ['1e3'],
      ['ms'],
      ['h2'],
      ['P1M'],
      ['PT1H2H'],
      ['Infinity'],
      ['NaN'],
    ])('should return null for the string %p', (input) => {
      expect(parseDuration(input)).toBeNull();
    });

    it.each([[{}], [[]], [null], [undefined], [true], [90n], [() => 1]])(
      'should return null for the non-string, non-number %p',
      (input) => {
        expect(parseDuration(input)).toBeNull();
      },
    );
  });
});
