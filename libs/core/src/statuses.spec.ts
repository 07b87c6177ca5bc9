import { describe, expect, it } from '@jest/globals';
import {
  ATTEMPT_STATUSES,
  type AttemptStatus,
  canMoveAttempt,
  canMoveMessage,
  isAttemptFailure,
  isChannel,
  isFinalMessageStatus,
  MESSAGE_STATUSES,
  type MessageStatus,
  reaches,
  SUCCESS_ON,
  successRank,
} from './statuses.js';

const ATTEMPT_SUCCESS_LADDER: AttemptStatus[] = ['queued', 'submitted', 'sent', 'delivered', 'read'];
const ATTEMPT_FAILURES: AttemptStatus[] = ['failed', 'undelivered', 'expired', 'skipped'];
const MESSAGE_FINALS: MessageStatus[] = ['failed', 'expired', 'rejected', 'canceled'];
const MESSAGE_NON_FINALS: MessageStatus[] = ['accepted', 'scheduled', 'sending', 'sent', 'delivered', 'read'];

describe(isChannel.name, () => {
  it.each(['sms', 'whatsapp', 'viber', 'rcs', 'email'])('should accept %p', (value) => {
    expect(isChannel(value)).toBe(true);
  });

  it.each(['SMS', 'telegram', '', null, undefined, 1, {}])('should reject %p', (value) => {
    expect(isChannel(value)).toBe(false);
  });
});

describe(isAttemptFailure.name, () => {
  it('should treat exactly failed, undelivered, expired and skipped as attempt failures', () => {
    expect(ATTEMPT_STATUSES.filter(isAttemptFailure)).toEqual(ATTEMPT_FAILURES);
  });
});

describe(isFinalMessageStatus.name, () => {
  it('should treat exactly failed, expired, rejected and canceled as final message statuses', () => {
    expect(MESSAGE_STATUSES.filter(isFinalMessageStatus)).toEqual(MESSAGE_FINALS);
  });
});

describe(successRank.name, () => {
  it('should rank the attempt success ladder strictly upwards from submitted', () => {
    const ranks = ATTEMPT_SUCCESS_LADDER.map(successRank);
    expect(ranks).toEqual([0, 1, 2, 3, 4]);
  });

  it('should rank unknown and failure statuses below everything', () => {
    expect(successRank('failed')).toBe(-1);
    expect(successRank('nonsense')).toBe(-1);
  });
});

describe(reaches.name, () => {
  it.each<[AttemptStatus, (typeof SUCCESS_ON)[number], boolean]>([
    ['queued', 'sent', false],
    ['submitted', 'sent', false],
    ['sent', 'sent', true],
    ['delivered', 'sent', true],
    ['read', 'sent', true],
    ['sent', 'delivered', false],
    ['delivered', 'delivered', true],
    ['read', 'delivered', true],
    ['delivered', 'read', false],
    ['read', 'read', true],
  ])('should say %p reaching %p is %p', (status, goal, expected) => {
    expect(reaches(status, goal)).toBe(expected);
  });

  it.each(ATTEMPT_FAILURES)('should never count the failure %p as reaching any goal', (status) => {
    for (const goal of SUCCESS_ON) expect(reaches(status, goal)).toBe(false);
  });
});

describe(canMoveAttempt.name, () => {
  it.each(ATTEMPT_STATUSES)('should not move %p to itself', (status) => {
    expect(canMoveAttempt(status, status)).toBe(false);
  });

  it('should let success statuses climb, including by skipping steps', () => {
    ATTEMPT_SUCCESS_LADDER.forEach((from, i) => {
      for (const to of ATTEMPT_SUCCESS_LADDER.slice(i + 1)) {
        expect([from, to, canMoveAttempt(from, to)]).toEqual([from, to, true]);
      }
    });
  });

  it('should never let success statuses go back down', () => {
    ATTEMPT_SUCCESS_LADDER.forEach((from, i) => {
      for (const to of ATTEMPT_SUCCESS_LADDER.slice(0, i)) {
        expect([from, to, canMoveAttempt(from, to)]).toEqual([from, to, false]);
      }
    });
  });

  it('should let an attempt fail before it is delivered', () => {
    for (const from of ['queued', 'submitted', 'sent'] as const) {
      for (const to of ATTEMPT_FAILURES) {
        expect([from, to, canMoveAttempt(from, to)]).toEqual([from, to, true]);
      }
    }
  });

  it('should ignore a failure after delivered or read', () => {
    for (const from of ['delivered', 'read'] as const) {
      for (const to of ATTEMPT_FAILURES) {
        expect([from, to, canMoveAttempt(from, to)]).toEqual([from, to, false]);
      }
    }
  });

  it('should never move an attempt out of a failure', () => {
    for (const from of ATTEMPT_FAILURES) {
      for (const to of ATTEMPT_STATUSES) {
        expect([from, to, canMoveAttempt(from, to)]).toEqual([from, to, false]);
      }
    }
  });
});

describe(canMoveMessage.name, () => {
  it.each(MESSAGE_STATUSES)('should not move %p to itself', (status) => {
    expect(canMoveMessage(status, status)).toBe(false);
  });

  it.each<[MessageStatus, MessageStatus]>([
    ['accepted', 'sending'],
    ['scheduled', 'sending'],
    ['sending', 'sent'],
    ['sent', 'delivered'],
    ['delivered', 'read'],
    ['accepted', 'delivered'],
    ['sending', 'read'],
  ])('should let the success status climb from %p to %p', (from, to) => {
    expect(canMoveMessage(from, to)).toBe(true);
  });

  it.each<[MessageStatus, MessageStatus]>([
    ['sending', 'accepted'],
    ['sending', 'scheduled'],
    ['sent', 'sending'],
    ['delivered', 'sent'],
    ['read', 'delivered'],
    ['read', 'accepted'],
  ])('should not let the success status go back from %p to %p', (from, to) => {
    expect(canMoveMessage(from, to)).toBe(false);
  });

  it('should not move between accepted and scheduled, which share the bottom rank', () => {
    expect(canMoveMessage('accepted', 'scheduled')).toBe(false);
    expect(canMoveMessage('scheduled', 'accepted')).toBe(false);
  });

  it('should let a status below delivered end in any final status', () => {
    for (const from of MESSAGE_NON_FINALS.filter((s) => s !== 'delivered' && s !== 'read')) {
      for (const to of MESSAGE_FINALS) {
        expect([from, to, canMoveMessage(from, to)]).toEqual([from, to, true]);
      }
    }
  });

  it('should never turn a delivered or read message into a failure', () => {
    for (const from of ['delivered', 'read'] as const) {
      for (const to of MESSAGE_FINALS) {
        expect([from, to, canMoveMessage(from, to)]).toEqual([from, to, false]);
      }
    }
  });

  it('should never change a final status', () => {
    for (const from of MESSAGE_FINALS) {
      for (const to of MESSAGE_STATUSES) {
        expect([from, to, canMoveMessage(from, to)]).toEqual([from, to, false]);
      }
    }
  });
});
