/**
 * PostgreSQL cannot store U+0000 in text or jsonb, nor a UTF-16 surrogate without its pair: such a string in a
 * request would fail at the INSERT as a 500. JSON can carry both (`\u0000`, `\ud800`), so requests are checked
 * once, where their JSON is parsed, and refused with the field named.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Cheap test on the raw JSON text: only bodies with such an escape are walked. */
const ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

export const UNSTORABLE_ISSUE = 'contains a character that cannot be stored (U+0000 or an unpaired surrogate)';

export function mayHoldUnstorableText(json: string): boolean {
  return ESCAPE.test(json);
}

/** The path of the first key or string value that cannot be stored (`events[2].properties.note`), or null. */
export function unstorableField(value: unknown, path = 'body'): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unstorableField(item, `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const field = path === 'body' ? key : `${path}.${key}`;
      if (UNSTORABLE.test(key)) return field;
      const found = unstorableField(item, field);
      if (found) return found;
    }
  }
  return null;
}

/** The same value with U+0000 removed and unpaired surrogates replaced (for senders that cannot be told, e.g. Shopify). */
export function cleanText<T>(value: T): T {
  if (typeof value === 'string') {
    return value
      .replaceAll('\u0000', '')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd') as T;
  }
  if (Array.isArray(value)) return value.map((item) => cleanText(item)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanText(k), cleanText(v)])) as T;
  }
  return value;
}
