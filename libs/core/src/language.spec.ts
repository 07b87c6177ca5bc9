import { describe, expect, it } from '@jest/globals';
import { normalizeLanguage } from './language.js';

describe(normalizeLanguage.name, () => {
  it.each([
    ['de-DE', 'de_DE'],
    ['de_de', 'de_DE'],
    ['EN', 'en'],
    [' pt-br ', 'pt_BR'],
    ['zh-hant', 'zh_Hant'],
  ])('should spell %j as %j', (input, expected) => {
    expect(normalizeLanguage(input)).toBe(expected);
  });
});
