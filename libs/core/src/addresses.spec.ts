import { describe, expect, it } from '@jest/globals';
import { isEmail, normalizePhone, phoneCountry } from './addresses.js';

describe(normalizePhone.name, () => {
  it('should give E.164 for numbers written with spaces, dots, dashes or brackets', () => {
    expect(normalizePhone('+44 7700 900123')).toBe('+447700900123');
    expect(normalizePhone('+1 (415) 555-2671')).toBe('+14155552671');
    expect(normalizePhone('447700900123')).toBe('+447700900123');
  });

  it('should refuse what is not a possible number for its country, or not a number at all', () => {
    for (const bad of ['+4412', '+44 7700 900123 ext 4', 'call me', '', '+999123456789', '+44770090012345678']) {
      expect([bad, normalizePhone(bad)]).toEqual([bad, null]);
    }
  });
});

describe(phoneCountry.name, () => {
  it("should name the number's country, or its calling code's main country for reserved ranges", () => {
    expect(phoneCountry('+14155552671')).toBe('US');
    expect(phoneCountry('+33612345678')).toBe('FR');
    expect(phoneCountry('+447700900006')).toBe('GB');
  });
});

describe(isEmail.name, () => {
  it('should accept ordinary addresses and refuse broken ones', () => {
    expect(['ana@example.com', 'fail-0001@example.com'].map(isEmail)).toEqual([true, true]);
    expect(['ana@', '@example.com', 'ana example@x.com', 'ana@example'].map(isEmail)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
