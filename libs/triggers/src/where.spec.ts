import { describe, expect, it } from '@jest/globals';
import { matchesWhere, parseWhere, pathIssue, WHERE_OPS, type WhereCondition, type WhereOp } from './where.js';

const doc = {
  event: 'checkout_started',
  timestamp: '2026-03-01T10:00:00Z',
  properties: {
    total: 25,
    subtotal: '20.00',
    currency: 'EUR',
    cartId: 'c-1',
    coupon: null,
    gift: false,
    tags: ['vip', 'eu', 42],
    items: [{ sku: 'A-1', qty: 2 }],
    address: { city: 'Berlin', zip: '10115' },
  },
  contact: { attributes: { plan: 'pro' } },
};

const match = (path: string, op: WhereOp, value?: unknown): boolean =>
  matchesWhere([value === undefined ? { path, op } : { path, op, value }], doc);

describe(matchesWhere.name, () => {
  it('should match everything with no conditions', () => {
    expect(matchesWhere([], doc)).toBe(true);
    expect(matchesWhere([], undefined)).toBe(true);
  });

  it('should need every condition to hold', () => {
    const total: WhereCondition = { path: 'properties.total', op: 'gte', value: 20 };
    const plan: WhereCondition = { path: 'contact.attributes.plan', op: 'eq', value: 'pro' };
    const city: WhereCondition = { path: 'properties.address.city', op: 'eq', value: 'Paris' };
    expect(matchesWhere([total, plan], doc)).toBe(true);
    expect(matchesWhere([total, plan, city], doc)).toBe(false);
  });

  it('should read array elements by index', () => {
    expect(match('properties.items.0.sku', 'eq', 'A-1')).toBe(true);
    expect(match('properties.items.0.qty', 'gt', 1)).toBe(true);
    expect(match('properties.items.1.sku', 'exists')).toBe(false);
  });

  it('should not match a document that is not an object', () => {
    expect(matchesWhere([{ path: 'properties.total', op: 'exists' }], null)).toBe(false);
    expect(matchesWhere([{ path: 'properties.total', op: 'ne', value: 1 }], 'text')).toBe(true);
  });

  describe('eq', () => {
    it.each<[string, unknown]>([
      ['properties.currency', 'EUR'],
      ['properties.total', 25],
      ['properties.total', '25'],
      ['properties.total', '25.0'],
      ['properties.subtotal', 20],
      ['properties.subtotal', 20.0],
      ['properties.coupon', null],
      ['properties.gift', false],
      ['properties.address', { zip: '10115', city: 'Berlin' }],
      ['properties.tags', ['vip', 'eu', 42]],
      ['properties.tags', ['vip', 'eu', '42']],
      ['properties.items', [{ qty: '2', sku: 'A-1' }]],
    ])('should hold for %s eq %p', (path, value) => {
      expect(match(path, 'eq', value)).toBe(true);
    });

    it.each<[string, unknown]>([
      ['properties.currency', 'eur'],
      ['properties.total', 26],
      ['properties.total', '25 EUR'],
      ['properties.total', ''],
      ['properties.subtotal', '20'],
      ['properties.gift', 0],
      ['properties.gift', 'false'],
      ['properties.coupon', 0],
      ['properties.address', { city: 'Berlin' }],
      ['properties.address', { city: 'Berlin', zip: '10115', extra: 1 }],
      ['properties.tags', ['vip', 'eu']],
      ['properties.tags', ['eu', 'vip', 42]],
      ['properties.tags', { 0: 'vip', 1: 'eu', 2: 42 }],
      ['properties.missing', null],
      ['properties.missing', 'x'],
    ])('should not hold for %s eq %p', (path, value) => {
      expect(match(path, 'eq', value)).toBe(false);
    });
  });

  describe('ne', () => {
    it('should be the negation of eq', () => {
      expect(match('properties.currency', 'ne', 'USD')).toBe(true);
      expect(match('properties.currency', 'ne', 'EUR')).toBe(false);
      expect(match('properties.subtotal', 'ne', 20)).toBe(false);
      expect(match('properties.total', 'ne', '25')).toBe(false);
    });

    it('should hold for a missing value whatever it is compared with', () => {
      expect(match('properties.missing', 'ne', 'x')).toBe(true);
      expect(match('properties.missing', 'ne', null)).toBe(true);
    });
  });

  describe('gt, gte, lt, lte', () => {
    it.each<[string, WhereOp, unknown, boolean]>([
      ['properties.total', 'gt', 20, true],
      ['properties.total', 'gt', 25, false],
      ['properties.total', 'gte', 25, true],
      ['properties.total', 'gte', 25.01, false],
      ['properties.total', 'lt', 30, true],
      ['properties.total', 'lt', 25, false],
      ['properties.total', 'lte', 25, true],
      ['properties.total', 'lte', 24.99, false],
      ['properties.total', 'gt', '9', true],
      ['properties.subtotal', 'gte', 20, true],
      ['properties.subtotal', 'gt', 20, false],
      ['properties.subtotal', 'lt', '100', true],
      ['properties.subtotal', 'gt', '3', true],
    ])('should compare numbers and numeric strings as numbers: %s %s %p is %p', (path, op, value, expected) => {
      expect(match(path, op, value)).toBe(expected);
    });

    it('should compare two non-numeric strings as strings, so ISO timestamps order by time', () => {
      expect(match('timestamp', 'gt', '2026-02-28T23:59:59Z')).toBe(true);
      expect(match('timestamp', 'gte', '2026-03-01T10:00:00Z')).toBe(true);
      expect(match('timestamp', 'lt', '2026-03-01T10:00:00Z')).toBe(false);
      expect(match('timestamp', 'lte', '2026-03-02')).toBe(true);
      expect(match('properties.currency', 'lt', 'USD')).toBe(true);
    });

    it.each<[string, WhereOp, unknown]>([
      ['properties.missing', 'gt', 0],
      ['properties.missing', 'lte', 'z'],
      ['properties.coupon', 'lt', 1],
      ['properties.gift', 'lt', 1],
      ['properties.address', 'gt', 'a'],
      ['properties.tags', 'gte', 0],
      ['properties.currency', 'gt', 1],
      ['properties.total', 'gt', 'abc'],
      ['timestamp', 'gt', '2026'],
    ])('should not hold when the values cannot be ordered: %s %s %p', (path, op, value) => {
      expect(match(path, op, value)).toBe(false);
    });
  });

  describe('in', () => {
    it('should hold when the value equals any element, numbers and numeric strings alike', () => {
      expect(match('properties.currency', 'in', ['USD', 'EUR'])).toBe(true);
      expect(match('properties.total', 'in', ['25', 30])).toBe(true);
      expect(match('properties.subtotal', 'in', [10, 20])).toBe(true);
      expect(match('properties.coupon', 'in', [null, 'X'])).toBe(true);
    });

    it('should not hold when no element equals, the value is missing or the list is not an array', () => {
      expect(match('properties.currency', 'in', ['USD', 'GBP'])).toBe(false);
      expect(match('properties.missing', 'in', ['x'])).toBe(false);
      expect(match('properties.currency', 'in', 'EUR')).toBe(false);
      expect(match('properties.currency', 'in', [])).toBe(false);
    });
  });

  describe('contains', () => {
    it('should find a substring in a string', () => {
      expect(match('properties.cartId', 'contains', 'c-')).toBe(true);
      expect(match('properties.cartId', 'contains', 'x')).toBe(false);
    });

    it('should find an equal element in an array', () => {
      expect(match('properties.tags', 'contains', 'vip')).toBe(true);
      expect(match('properties.tags', 'contains', '42')).toBe(true);
      expect(match('properties.items', 'contains', { sku: 'A-1', qty: 2 })).toBe(true);
      expect(match('properties.tags', 'contains', 'vi')).toBe(false);
    });

    it('should not hold for anything else', () => {
      expect(match('properties.total', 'contains', '2')).toBe(false);
      expect(match('properties.subtotal', 'contains', 20)).toBe(false);
      expect(match('properties.address', 'contains', 'Berlin')).toBe(false);
      expect(match('properties.missing', 'contains', 'x')).toBe(false);
      expect(match('properties.coupon', 'contains', null)).toBe(false);
    });
  });

  describe('exists', () => {
    it('should hold for present values, falsy ones included, by default and with true', () => {
      expect(match('properties.total', 'exists')).toBe(true);
      expect(match('properties.gift', 'exists')).toBe(true);
      expect(match('properties.total', 'exists', true)).toBe(true);
      expect(match('properties.missing', 'exists')).toBe(false);
      expect(match('properties.coupon', 'exists')).toBe(false);
    });

    it('should hold for missing or null values with false', () => {
      expect(match('properties.missing', 'exists', false)).toBe(true);
      expect(match('properties.coupon', 'exists', false)).toBe(true);
      expect(match('properties.gift', 'exists', false)).toBe(false);
    });
  });
});

describe(parseWhere.name, () => {
  it('should return valid conditions with no issues', () => {
    const input = [
      { path: 'properties.total', op: 'gte', value: 20 },
      { path: 'contact.attributes.plan', op: 'in', value: ['pro', 'team'] },
      { path: 'properties.items.0.sku', op: 'exists' },
      { path: 'properties.coupon', op: 'exists', value: false },
      { path: 'properties.$raw_id-2', op: 'eq', value: null },
    ];
    expect(parseWhere(input, 'where')).toEqual({ conditions: input, issues: [] });
  });

  it('should accept every operator', () => {
    const input = WHERE_OPS.map((op) => ({ path: 'a', op, value: op === 'in' ? [1] : op === 'exists' ? true : 1 }));
    expect(parseWhere(input, 'where').issues).toEqual([]);
  });

  it('should accept an empty list', () => {
    expect(parseWhere([], 'where')).toEqual({ conditions: [], issues: [] });
  });

  it.each([[undefined], [null], [{}], ['eq'], [3]])('should refuse %p as not a list', (input) => {
    expect(parseWhere(input, 'when.where')).toEqual({
      conditions: [],
      issues: [{ field: 'when.where', issue: 'must be an array of conditions {path, op, value}' }],
    });
  });

  it('should refuse more than 20 conditions', () => {
    const input = Array.from({ length: 21 }, () => ({ path: 'a', op: 'exists' }));
    expect(parseWhere(input.slice(0, 20), 'where').issues).toEqual([]);
    expect(parseWhere(input, 'where').issues).toEqual([{ field: 'where', issue: 'must hold at most 20 conditions' }]);
  });

  it('should refuse an entry that is not an object', () => {
    expect(parseWhere(['a', null, []], 'where').issues).toEqual([
      { field: 'where[0]', issue: 'must be an object {path, op, value}' },
      { field: 'where[1]', issue: 'must be an object {path, op, value}' },
      { field: 'where[2]', issue: 'must be an object {path, op, value}' },
    ]);
  });

  it('should name an unknown operator and list the known ones', () => {
    expect(parseWhere([{ path: 'a', op: 'foo', value: 1 }], 'when.where').issues).toEqual([
      {
        field: 'when.where[0].op',
        issue: 'unknown operator "foo": use one of eq, ne, gt, gte, lt, lte, in, contains, exists',
      },
    ]);
  });

  it('should require an operator', () => {
    expect(parseWhere([{ path: 'a', value: 1 }], 'where').issues).toEqual([
      { field: 'where[0].op', issue: 'required: use one of eq, ne, gt, gte, lt, lte, in, contains, exists' },
    ]);
  });

  it.each<[string, unknown, unknown]>([
    ['no path', undefined, 'required: a dotted path such as "properties.total"'],
    ['an empty path', '', 'required: a dotted path such as "properties.total"'],
    ['a number', 7, 'required: a dotted path such as "properties.total"'],
    ['201 characters', 'a'.repeat(201), 'must be at most 200 characters'],
    ['an empty segment', 'properties..total', expect.stringContaining('must be dotted segments')],
    ['a leading dot', '.total', expect.stringContaining('must be dotted segments')],
    ['a trailing dot', 'total.', expect.stringContaining('must be dotted segments')],
    ['a space', 'properties.to tal', expect.stringContaining('must be dotted segments')],
    ['brackets', 'properties[0]', expect.stringContaining('must be dotted segments')],
  ])('should refuse a path with %s', (_label, path, issue) => {
    expect(parseWhere([{ path, op: 'exists' }], 'where')).toEqual({
      conditions: [],
      issues: [{ field: 'where[0].path', issue }],
    });
  });

  it('should accept a path of exactly 200 characters', () => {
    expect(pathIssue('a'.repeat(200))).toBeNull();
  });

  it.each<WhereOp>(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains'])('should require a value for %s', (op) => {
    expect(parseWhere([{ path: 'a', op }], 'where').issues).toEqual([
      { field: 'where[0].value', issue: `required for op "${op}"` },
    ]);
  });

  it('should need a non-empty array of at most 1000 values for in', () => {
    const issue = 'must be a non-empty array for op "in"';
    expect(parseWhere([{ path: 'a', op: 'in', value: [] }], 'w').issues).toEqual([{ field: 'w[0].value', issue }]);
    expect(parseWhere([{ path: 'a', op: 'in', value: 'x' }], 'w').issues).toEqual([{ field: 'w[0].value', issue }]);
    const many = Array.from({ length: 1001 }, (_, i) => i);
    expect(parseWhere([{ path: 'a', op: 'in', value: many.slice(0, 1000) }], 'w').issues).toEqual([]);
    expect(parseWhere([{ path: 'a', op: 'in', value: many }], 'w').issues).toEqual([
      { field: 'w[0].value', issue: 'must hold at most 1000 values' },
    ]);
  });

  it.each<WhereOp>(['gt', 'gte', 'lt', 'lte'])('should need a number or a string for %s', (op) => {
    expect(parseWhere([{ path: 'a', op, value: '2026-01-01' }], 'w').issues).toEqual([]);
    expect(parseWhere([{ path: 'a', op, value: 1.5 }], 'w').issues).toEqual([]);
    for (const value of [true, null, [1], { n: 1 }]) {
      expect(parseWhere([{ path: 'a', op, value }], 'w').issues).toEqual([
        { field: 'w[0].value', issue: `must be a number or a string for op "${op}"` },
      ]);
    }
  });

  it('should need a boolean value for exists when one is given', () => {
    expect(parseWhere([{ path: 'a', op: 'exists', value: 'yes' }], 'w').issues).toEqual([
      { field: 'w[0].value', issue: 'must be true or false for op "exists"' },
    ]);
  });

  it('should refuse unknown keys', () => {
    expect(parseWhere([{ path: 'a', op: 'eq', value: 1, operator: 'eq' }], 'w').issues).toEqual([
      { field: 'w[0].operator', issue: 'unknown field' },
    ]);
  });

  it('should report every issue of every entry and keep the valid entries', () => {
    const result = parseWhere(
      [
        { path: 'ok', op: 'eq', value: 1 },
        { path: '', op: 'bad' },
        { path: 'b', op: 'in', value: [], extra: true },
      ],
      'when.where',
    );
    expect(result.conditions).toEqual([{ path: 'ok', op: 'eq', value: 1 }]);
    expect(result.issues.map((issue) => issue.field)).toEqual([
      'when.where[1].path',
      'when.where[1].op',
      'when.where[2].extra',
      'when.where[2].value',
    ]);
  });
});

describe('matchesWhere on inherited keys', () => {
  it('should not see Object.prototype through a path', () => {
    expect(matchesWhere([{ path: 'properties.constructor', op: 'exists' }], { properties: {} })).toBe(false);
    expect(matchesWhere([{ path: 'properties.__proto__', op: 'exists' }], { properties: {} })).toBe(false);
  });
});
