import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { classifyViberFailure, classifyViberStatus } from './viber-status.js';

const codes = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/providers/viber-status-codes.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const statuses = Object.keys(codes)
  .filter((key) => /^\d+$/.test(key) && key !== '0')
  .map(Number);

describe(classifyViberStatus.name, () => {
  it.each([
    [5, 'NOT_REACHABLE', true],
    [6, 'NOT_REACHABLE', true],
    [11, 'NOT_REACHABLE', true],
    [14, 'NOT_REACHABLE', true],
    [12, 'RATE_LIMITED', false],
    [18, 'RATE_LIMITED', false],
    [2, 'AUTH', false],
    [7, 'AUTH', false],
    [8, 'AUTH', false],
    [9, 'AUTH', false],
    [10, 'AUTH', false],
    [15, 'AUTH', false],
    [1, 'CONTENT_REJECTED', true],
    [3, 'CONTENT_REJECTED', true],
    [4, 'CONTENT_REJECTED', true],
    [13, 'CONTENT_REJECTED', true],
    [17, 'CONTENT_REJECTED', true],
    [20, 'CONTENT_REJECTED', true],
    [16, 'UNKNOWN', false],
    [99, 'UNKNOWN', false],
  ])('should classify status %i as %s (permanent: %s)', (status, kind, permanent) => {
    expect(classifyViberStatus(status, 'from Viber')).toEqual({
      kind,
      code: String(status),
      message: 'from Viber',
      permanent,
    });
  });

  it('should classify every status code in the fixture list', () => {
    expect(statuses).toHaveLength(20);
    for (const status of statuses) expect(classifyViberStatus(status, codes[status]).code).toBe(String(status));
  });

  it('should name the status when Viber gave no message', () => {
    expect(classifyViberStatus(6, undefined).message).toBe('Viber status 6');
  });
});

describe(classifyViberFailure.name, () => {
  it('should read a validation failure as rejected content', () => {
    expect(classifyViberFailure('message validation failed')).toMatchObject({
      kind: 'CONTENT_REJECTED',
      permanent: true,
    });
  });

  it('should read an unsubscribed receiver as not reachable', () => {
    expect(classifyViberFailure('receiver is not subscribed')).toMatchObject({
      kind: 'NOT_REACHABLE',
      permanent: true,
    });
  });

  it('should still fail permanently without a description', () => {
    expect(classifyViberFailure(undefined)).toMatchObject({ code: 'failed', permanent: true });
  });
});
