import { describe, expect, it } from '@jest/globals';
import type { Channel } from '#libs/core/src/index.js';
import { sandboxDecision, sandboxScenario, type SandboxScenario } from './sandbox-behaviour.js';

const PHONE_CHANNELS: Channel[] = ['sms', 'whatsapp', 'viber', 'rcs'];
const STEP = 100;

describe(sandboxScenario.name, () => {
  it.each<[string, SandboxScenario]>([
    ['+15550000001', 'permanent-failure'],
    ['+15550000003', 'silent'],
    ['+15550000004', 'temporary-twice'],
    ['+15550000005', 'read'],
    ['+15550000006', 'delivered'],
    ['+15550000000', 'delivered'],
    ['+15550001234', 'delivered'],
    ['+15550010001', 'permanent-failure'],
  ])('should map the phone %s to %s on every phone channel', (address, scenario) => {
    for (const channel of PHONE_CHANNELS) {
      expect([channel, sandboxScenario(channel, address)]).toEqual([channel, scenario]);
    }
  });

  it('should only read the last four digits', () => {
    expect(sandboxScenario('sms', '+4479000100015')).toBe('delivered');
    expect(sandboxScenario('sms', '+4479000100001')).toBe('permanent-failure');
  });

  it.each<Channel>(['whatsapp', 'viber', 'rcs'])('should make 0002 not reachable on %s', (channel) => {
    expect(sandboxScenario(channel, '+15550000002')).toBe('not-reachable');
  });

  it('should deliver 0002 on sms and email', () => {
    expect(sandboxScenario('sms', '+15550000002')).toBe('delivered');
    expect(sandboxScenario('email', 'nobody-0002@example.com')).toBe('delivered');
  });

  it.each<[string, SandboxScenario]>([
    ['fail-0001@example.com', 'permanent-failure'],
    ['x0002@example.com', 'delivered'],
    ['quiet-0003@example.com', 'silent'],
    ['flaky+0004@example.com', 'temporary-twice'],
    ['reader.0005@example.com', 'read'],
    ['ada@example.com', 'delivered'],
  ])('should decide email %s by its local part as %s', (address, scenario) => {
    expect(sandboxScenario('email', address)).toBe(scenario);
  });

  it('should ignore digits in the email domain', () => {
    expect(sandboxScenario('email', 'ada@mail0001.com')).toBe('delivered');
    expect(sandboxScenario('email', 'ada@example.0001')).toBe('delivered');
  });

  it('should read a Viber id the same way as a phone number', () => {
    expect(sandboxScenario('viber', 'vb-user-0005')).toBe('read');
  });
});

describe(sandboxDecision.name, () => {
  it('should accept a permanent failure, then report it failed permanently', () => {
    expect(sandboxDecision('permanent-failure', 1, STEP)).toEqual({
      accept: true,
      reports: [
        {
          status: 'failed',
          afterMs: STEP,
          error: {
            kind: 'NOT_REACHABLE',
            code: 'SANDBOX_UNDELIVERABLE',
            message: 'Message undeliverable',
            permanent: true,
          },
        },
      ],
    });
  });

  it('should refuse a not-reachable recipient with a permanent NOT_REACHABLE error on every call', () => {
    for (const call of [1, 2, 3]) {
      expect(sandboxDecision('not-reachable', call, STEP)).toEqual({
        accept: false,
        error: {
          kind: 'NOT_REACHABLE',
          code: 'SANDBOX_NOT_REACHABLE',
          message: 'Recipient is not on this channel',
          permanent: true,
        },
      });
    }
  });

  it('should accept a silent recipient and never report', () => {
    expect(sandboxDecision('silent', 1, STEP)).toEqual({ accept: true, reports: [] });
  });

  it('should refuse the first two calls with a temporary error, then accept the third', () => {
    const temporary = {
      accept: false,
      error: { kind: 'TEMPORARY', code: 'SANDBOX_TEMPORARY', message: 'Temporary provider error', permanent: false },
    };
    expect(sandboxDecision('temporary-twice', 1, STEP)).toEqual(temporary);
    expect(sandboxDecision('temporary-twice', 2, STEP)).toEqual(temporary);
    expect(sandboxDecision('temporary-twice', 3, STEP)).toEqual({
      accept: true,
      reports: [
        { status: 'sent', afterMs: STEP },
        { status: 'delivered', afterMs: 2 * STEP },
      ],
    });
    expect(sandboxDecision('temporary-twice', 4, STEP)).toMatchObject({ accept: true });
  });

  it('should report sent, delivered and read one step apart', () => {
    expect(sandboxDecision('read', 1, STEP)).toEqual({
      accept: true,
      reports: [
        { status: 'sent', afterMs: STEP },
        { status: 'delivered', afterMs: 2 * STEP },
        { status: 'read', afterMs: 3 * STEP },
      ],
    });
  });

  it('should report sent then delivered by default', () => {
    expect(sandboxDecision('delivered', 1, STEP)).toEqual({
      accept: true,
      reports: [
        { status: 'sent', afterMs: STEP },
        { status: 'delivered', afterMs: 2 * STEP },
      ],
    });
  });

  it('should scale the report delays with the step', () => {
    const decision = sandboxDecision('read', 1, 7);
    expect(decision.accept && decision.reports.map((report) => report.afterMs)).toEqual([7, 14, 21]);
  });
});
