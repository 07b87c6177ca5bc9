import { describe, expect, it } from '@jest/globals';
import { cleanText, mayHoldUnstorableText, unstorableField } from './storable-text.js';

describe(unstorableField.name, () => {
  it('should name the first key or value PostgreSQL cannot store', () => {
    expect(unstorableField({ a: 'fine', b: { c: ['ok', 'x\u0000y'] } })).toBe('b.c[1]');
    expect(unstorableField({ events: [{ properties: { note: '\ud800' } }] })).toBe('events[0].properties.note');
    expect(unstorableField({ 'k\u0000': 1 })).toBe('k\u0000');
    expect(unstorableField(['\udc00'])).toBe('body[0]');
  });

  it('should accept paired surrogates (emoji) and ordinary text', () => {
    expect(unstorableField({ text: 'Hi 👋 Ünïcode', n: 1, none: null })).toBeNull();
  });
});

describe(mayHoldUnstorableText.name, () => {
  it('should spot the JSON escapes that can hide such text', () => {
    expect(mayHoldUnstorableText('{"a":"\\u0000"}')).toBe(true);
    expect(mayHoldUnstorableText('{"a":"\\uD83D\\uDC4B"}')).toBe(true);
    expect(mayHoldUnstorableText('{"a":"\\u00e9 plain"}')).toBe(false);
  });
});

describe(cleanText.name, () => {
  it('should drop U+0000 and replace unpaired surrogates, keeping the rest', () => {
    expect(cleanText({ t: 'IPod\u0000Nano', s: ['a\ud800b', '👋'] })).toEqual({ t: 'IPodNano', s: ['a\ufffdb', '👋'] });
  });
});
