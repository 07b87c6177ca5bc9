import { lookupPath } from '#libs/core/src/index.js';

/**
 * `where` conditions on an event document ({event, properties, contact, timestamp}), shared by trigger rules and
 * broadcast audiences. All conditions must hold. Comparison is lenient in one way only: a number and a numeric
 * string compare as numbers, because shops send money as strings ("20.00").
 */
export const WHERE_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists'] as const;
export type WhereOp = (typeof WHERE_OPS)[number];

export interface WhereCondition {
  path: string;
  op: WhereOp;
  value?: unknown;
}

export interface Issue {
  field: string;
  issue: string;
}

export const MAX_WHERE_CONDITIONS = 20;
export const MAX_IN_VALUES = 1000;
const MAX_PATH_LENGTH = 200;
const PATH = /^[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*$/;
const NUMERIC = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const ORDERING_OPS: readonly WhereOp[] = ['gt', 'gte', 'lt', 'lte'];

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

export const isWhereOp = (value: unknown): value is WhereOp => WHERE_OPS.includes(value as WhereOp);

/** A dotted path as `where`, `unless.matchOn` and `limits.oncePer` accept it; null when valid, else the issue. */
export function pathIssue(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return 'required: a dotted path such as "properties.total"';
  if (value.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (!PATH.test(value)) {
    return 'must be dotted segments of letters, digits, "_", "$" or "-", such as "properties.items.0.sku"';
  }
  return null;
}

/** The number a value stands for when it is a number or a numeric string; null otherwise. */
function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return null;
}

/** JSON-like deep equality; a number equals a numeric string of the same value. Missing equals nothing. */
function equals(actual: unknown, expected: unknown): boolean {
  if (actual === undefined || expected === undefined) return false;
  if (typeof actual === 'number' || typeof expected === 'number') {
    const a = asNumber(actual);
    const b = asNumber(expected);
    return a !== null && b !== null && a === b;
  }
  if (Array.isArray(actual) || Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      Array.isArray(expected) &&
      actual.length === expected.length &&
      actual.every((item, i) => equals(item, expected[i]))
    );
  }
  if (isObject(actual) && isObject(expected)) {
    const keys = Object.keys(actual).filter((key) => actual[key] !== undefined);
    const other = Object.keys(expected).filter((key) => expected[key] !== undefined);
    return keys.length === other.length && keys.every((key) => equals(actual[key], expected[key]));
  }
  return actual === expected;
}

/** The sign of actual − expected, or null when the two cannot be ordered (missing, objects, booleans, mixed). */
function compare(actual: unknown, expected: unknown): number | null {
  const a = asNumber(actual);
  const b = asNumber(expected);
  if (a !== null && b !== null) return Math.sign(a - b);
  if (a === null && b === null && typeof actual === 'string' && typeof expected === 'string') {
    // Plain code-unit order, so ISO 8601 timestamps order by time.
    return actual < expected ? -1 : actual > expected ? 1 : 0;
  }
  return null;
}

function holds(condition: WhereCondition, actual: unknown): boolean {
  const { op, value } = condition;
  switch (op) {
    case 'eq':
      return equals(actual, value);
    case 'ne':
      return !equals(actual, value);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const sign = compare(actual, value);
      if (sign === null) return false;
      return op === 'gt' ? sign > 0 : op === 'gte' ? sign >= 0 : op === 'lt' ? sign < 0 : sign <= 0;
    }
    case 'in':
      return Array.isArray(value) && value.some((item) => equals(actual, item));
    case 'contains':
      if (typeof actual === 'string') return typeof value === 'string' && actual.includes(value);
      return Array.isArray(actual) && actual.some((item) => equals(item, value));
    case 'exists': {
      const present = actual !== undefined && actual !== null;
      return value === false ? !present : present;
    }
  }
}

/** Whether every condition holds on the document; no conditions match everything. */
export function matchesWhere(conditions: readonly WhereCondition[], doc: unknown): boolean {
  return conditions.every((condition) => holds(condition, lookupPath(doc, condition.path)));
}

function valueIssue(op: WhereOp, entry: Obj): string | null {
  const value = entry.value;
  if (value === undefined) return op === 'exists' ? null : `required for op "${op}"`;
  if (op === 'in') {
    if (!Array.isArray(value) || value.length === 0) return 'must be a non-empty array for op "in"';
    if (value.length > MAX_IN_VALUES) return `must hold at most ${MAX_IN_VALUES} values`;
  }
  if (
    ORDERING_OPS.includes(op) &&
    !(typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
  ) {
    return `must be a number or a string for op "${op}"`;
  }
  if (op === 'exists' && typeof value !== 'boolean') return 'must be true or false for op "exists"';
  return null;
}

function parseCondition(entry: unknown, at: string, issues: Issue[]): WhereCondition | undefined {
  if (!isObject(entry)) {
    issues.push({ field: at, issue: 'must be an object {path, op, value}' });
    return undefined;
  }
  const before = issues.length;
  for (const key of Object.keys(entry)) {
    if (key !== 'path' && key !== 'op' && key !== 'value')
      issues.push({ field: `${at}.${key}`, issue: 'unknown field' });
  }
  const badPath = pathIssue(entry.path);
  if (badPath) issues.push({ field: `${at}.path`, issue: badPath });
  const op = entry.op;
  if (!isWhereOp(op)) {
    const shown = typeof op === 'string' ? `unknown operator "${op}"` : 'required';
    issues.push({ field: `${at}.op`, issue: `${shown}: use one of ${WHERE_OPS.join(', ')}` });
  } else {
    const badValue = valueIssue(op, entry);
    if (badValue) issues.push({ field: `${at}.value`, issue: badValue });
  }
  if (issues.length > before || !isWhereOp(op)) return undefined;
  const condition: WhereCondition = { path: entry.path as string, op };
  if (entry.value !== undefined) condition.value = entry.value;
  return condition;
}

/** Validates a `where` list; `conditions` holds the valid ones, `issues` every problem, with `field` as prefix. */
export function parseWhere(input: unknown, field: string): { conditions: WhereCondition[]; issues: Issue[] } {
  const issues: Issue[] = [];
  if (!Array.isArray(input)) {
    return { conditions: [], issues: [{ field, issue: 'must be an array of conditions {path, op, value}' }] };
  }
  if (input.length > MAX_WHERE_CONDITIONS) {
    return { conditions: [], issues: [{ field, issue: `must hold at most ${MAX_WHERE_CONDITIONS} conditions` }] };
  }
  const conditions: WhereCondition[] = [];
  input.forEach((entry: unknown, i) => {
    const condition = parseCondition(entry, `${field}[${i}]`, issues);
    if (condition) conditions.push(condition);
  });
  return { conditions, issues };
}
