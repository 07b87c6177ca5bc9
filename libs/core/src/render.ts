/** `{{variable}}` rendering. Paths may be dotted (`{{contact.firstName}}`). Missing values are reported, not blanked. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}/g;

export type Lookup = (path: string) => unknown;

export function lookupPath(source: unknown, path: string): unknown {
  let value: unknown = source;
  for (const part of path.split('.')) {
    // Own keys only: `constructor` or `__proto__` in a path must not reach Object.prototype.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringify(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function renderTemplate(text: string, lookup: Lookup): { text: string; missing: string[] } {
  const missing: string[] = [];
  const rendered = text.replace(PLACEHOLDER, (whole, path: string) => {
    const value = stringify(lookup(path));
    if (value === undefined) {
      missing.push(path);
      return whole;
    }
    return value;
  });
  return { text: rendered, missing };
}
