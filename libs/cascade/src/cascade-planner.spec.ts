import { describe, expect, it } from '@jest/globals';
import type { AttemptStatus, Channel } from '#libs/core/src/index.js';
import { addressFor, planNext, type PlannerAttempt, type PlannerInput } from './cascade-planner.js';

const ALL: Channel[] = ['whatsapp', 'viber', 'rcs', 'sms', 'email'];
const PHONE = '+15550001234';
const EMAIL = 'ada@example.com';

function input(overrides: Partial<PlannerInput> = {}): PlannerInput {
  return {
    channels: ALL,
    successOn: 'delivered',
    attempts: [],
    recipient: { phone: PHONE, email: EMAIL },
    consent: {},
    available: new Set(ALL),
    event: { type: 'start' },
    ...overrides,
  };
}

const attempt = (channel: Channel, status: AttemptStatus, errorCode?: string): PlannerAttempt => ({
  channel,
  status,
  errorCode,
});

describe(addressFor.name, () => {
  it('should use the email address for email', () => {
    expect(addressFor('email', { phone: PHONE, email: EMAIL })).toBe(EMAIL);
    expect(addressFor('email', { phone: PHONE })).toBeNull();
  });

  it.each<Channel>(['sms', 'whatsapp', 'rcs'])('should use the phone number for %s', (channel) => {
    expect(addressFor(channel, { phone: PHONE, email: EMAIL, viberId: 'vb-1' })).toBe(PHONE);
    expect(addressFor(channel, { email: EMAIL, viberId: 'vb-1' })).toBeNull();
  });

  it('should use the Viber id for viber, else the phone number', () => {
    expect(addressFor('viber', { phone: PHONE, viberId: 'vb-1' })).toBe('vb-1');
    expect(addressFor('viber', { phone: PHONE, viberId: null })).toBe(PHONE);
    expect(addressFor('viber', { phone: PHONE })).toBe(PHONE);
    expect(addressFor('viber', { email: EMAIL })).toBeNull();
  });
});

describe(planNext.name, () => {
  describe('with a channel blocked for this content', () => {
    const blocked: PlannerInput['blocked'] = {
      whatsapp: { code: 'TEMPLATE_NOT_APPROVED', reason: 'template cart (en_US) is PAUSED' },
    };

    it('should skip the blocked channel with its code and reason and try the next', () => {
      const decision = planNext(input({ channels: ['whatsapp', 'sms'], blocked }));
      expect(decision).toMatchObject({
        action: 'send',
        channel: 'sms',
        skips: [{ channel: 'whatsapp', code: 'TEMPLATE_NOT_APPROVED', reason: 'template cart (en_US) is PAUSED' }],
      });
    });

    it('should be exhausted when the blocked channel is the only one', () => {
      const decision = planNext(input({ channels: ['whatsapp'], blocked }));
      expect(decision).toMatchObject({ action: 'exhausted', skips: [{ code: 'TEMPLATE_NOT_APPROVED' }] });
    });

    it('should name a missing address before the block', () => {
      const decision = planNext(input({ channels: ['whatsapp'], blocked, recipient: { email: EMAIL } }));
      expect(decision).toMatchObject({ action: 'exhausted', skips: [{ code: 'NO_ADDRESS' }] });
    });
  });

  describe('on start', () => {
    it('should send on the first channel when it is reachable', () => {
      expect(planNext(input())).toEqual({
        action: 'send',
        channel: 'whatsapp',
        address: PHONE,
        skips: [],
        reason: 'message accepted; trying whatsapp',
      });
    });

    it('should follow the order of the requested channels', () => {
      const decision = planNext(input({ channels: ['email', 'sms'] }));
      expect(decision).toMatchObject({ action: 'send', channel: 'email', address: EMAIL, skips: [] });
    });

    it('should skip a channel with no address and say so', () => {
      const decision = planNext(input({ channels: ['email', 'sms'], recipient: { phone: PHONE } }));
      expect(decision).toEqual({
        action: 'send',
        channel: 'sms',
        address: PHONE,
        skips: [{ channel: 'email', code: 'NO_ADDRESS', reason: 'no email address for email' }],
        reason: 'message accepted; email skipped: no email address for email; trying sms',
      });
    });

    it('should name the missing address by channel', () => {
      const decision = planNext(input({ channels: ['sms', 'viber', 'email'], recipient: {} }));
      expect(decision.action).toBe('exhausted');
      expect(decision).toMatchObject({
        skips: [
          { channel: 'sms', code: 'NO_ADDRESS', reason: 'no phone number for sms' },
          { channel: 'viber', code: 'NO_ADDRESS', reason: 'no Viber id or phone for viber' },
          { channel: 'email', code: 'NO_ADDRESS', reason: 'no email address for email' },
        ],
      });
    });

    it('should treat an empty address as no address', () => {
      const decision = planNext(input({ channels: ['sms', 'email'], recipient: { phone: '', email: EMAIL } }));
      expect(decision).toMatchObject({
        action: 'send',
        channel: 'email',
        skips: [{ channel: 'sms', code: 'NO_ADDRESS' }],
      });
    });

    it('should skip a channel the contact refused', () => {
      const decision = planNext(input({ channels: ['whatsapp', 'sms'], consent: { whatsapp: false } }));
      expect(decision).toEqual({
        action: 'send',
        channel: 'sms',
        address: PHONE,
        skips: [{ channel: 'whatsapp', code: 'NO_CONSENT', reason: 'the contact has no consent for whatsapp' }],
        reason: 'message accepted; whatsapp skipped: the contact has no consent for whatsapp; trying sms',
      });
    });

    it('should send when consent is true or not on record', () => {
      expect(planNext(input({ channels: ['whatsapp'], consent: { whatsapp: true } }))).toMatchObject({
        action: 'send',
        channel: 'whatsapp',
      });
      expect(planNext(input({ channels: ['whatsapp'], consent: { sms: false } }))).toMatchObject({
        action: 'send',
        channel: 'whatsapp',
      });
    });

    it('should skip a channel that is not configured', () => {
      const decision = planNext(input({ channels: ['rcs', 'sms'], available: new Set<Channel>(['sms']) }));
      expect(decision).toEqual({
        action: 'send',
        channel: 'sms',
        address: PHONE,
        skips: [{ channel: 'rcs', code: 'CHANNEL_NOT_CONFIGURED', reason: 'rcs is not configured' }],
        reason: 'message accepted; rcs skipped: rcs is not configured; trying sms',
      });
    });

    it('should report several skips in channel order before the channel it sends on', () => {
      const decision = planNext(
        input({
          channels: ['email', 'whatsapp', 'rcs', 'sms'],
          recipient: { phone: PHONE },
          consent: { whatsapp: false },
          available: new Set<Channel>(['email', 'whatsapp', 'sms']),
        }),
      );
      expect(decision).toEqual({
        action: 'send',
        channel: 'sms',
        address: PHONE,
        skips: [
          { channel: 'email', code: 'NO_ADDRESS', reason: 'no email address for email' },
          { channel: 'whatsapp', code: 'NO_CONSENT', reason: 'the contact has no consent for whatsapp' },
          { channel: 'rcs', code: 'CHANNEL_NOT_CONFIGURED', reason: 'rcs is not configured' },
        ],
        reason:
          'message accepted; email skipped: no email address for email; ' +
          'whatsapp skipped: the contact has no consent for whatsapp; rcs skipped: rcs is not configured; trying sms',
      });
    });

    it('should check the address first, then consent, then configuration', () => {
      const noAddressBeatsTheRest = planNext(
        input({ channels: ['email'], recipient: { phone: PHONE }, consent: { email: false }, available: new Set() }),
      );
      expect(noAddressBeatsTheRest).toMatchObject({ action: 'exhausted', skips: [{ code: 'NO_ADDRESS' }] });

      const noConsentBeatsNotConfigured = planNext(
        input({ channels: ['sms'], consent: { sms: false }, available: new Set() }),
      );
      expect(noConsentBeatsNotConfigured).toMatchObject({ action: 'exhausted', skips: [{ code: 'NO_CONSENT' }] });
    });

    it('should be exhausted when no channel can be used', () => {
      const decision = planNext(
        input({
          channels: ['email', 'sms'],
          recipient: { phone: PHONE },
          available: new Set<Channel>(['email']),
        }),
      );
      expect(decision).toEqual({
        action: 'exhausted',
        skips: [
          { channel: 'email', code: 'NO_ADDRESS', reason: 'no email address for email' },
          { channel: 'sms', code: 'CHANNEL_NOT_CONFIGURED', reason: 'sms is not configured' },
        ],
        reason:
          'message accepted; email skipped: no email address for email; sms skipped: sms is not configured; no channel left',
      });
    });

    it('should be exhausted with no skips when no channels were asked for', () => {
      expect(planNext(input({ channels: [] }))).toEqual({
        action: 'exhausted',
        skips: [],
        reason: 'message accepted; no channel left',
      });
    });
  });

  describe('viber addressing', () => {
    it('should send viber to the Viber id when there is one', () => {
      const decision = planNext(input({ channels: ['viber'], recipient: { phone: PHONE, viberId: 'vb-42' } }));
      expect(decision).toMatchObject({ action: 'send', channel: 'viber', address: 'vb-42' });
    });

    it('should send viber to the phone number when there is no Viber id', () => {
      const decision = planNext(input({ channels: ['viber'], recipient: { phone: PHONE, viberId: null } }));
      expect(decision).toMatchObject({ action: 'send', channel: 'viber', address: PHONE });
    });

    it('should skip viber when there is neither a Viber id nor a phone number', () => {
      const decision = planNext(input({ channels: ['viber', 'email'], recipient: { email: EMAIL } }));
      expect(decision).toMatchObject({
        action: 'send',
        channel: 'email',
        skips: [{ channel: 'viber', code: 'NO_ADDRESS', reason: 'no Viber id or phone for viber' }],
      });
    });
  });

  describe('after an attempt ended', () => {
    it.each<AttemptStatus>(['failed', 'undelivered', 'expired'])(
      'should move on to the next channel after the last attempt is %s',
      (status) => {
        const decision = planNext(
          input({
            attempts: [attempt('whatsapp', status, '131026')],
            event: { type: 'attempt-failed', channel: 'whatsapp', code: '131026' },
          }),
        );
        expect(decision).toEqual({
          action: 'send',
          channel: 'viber',
          address: PHONE,
          skips: [],
          reason: 'whatsapp failed (131026); trying viber',
        });
      },
    );

    it('should move on after the last attempt was skipped', () => {
      const decision = planNext(
        input({
          attempts: [attempt('whatsapp', 'skipped', 'TEMPLATE_NOT_APPROVED')],
          event: { type: 'attempt-skipped', channel: 'whatsapp', code: 'TEMPLATE_NOT_APPROVED' },
        }),
      );
      expect(decision).toMatchObject({
        action: 'send',
        channel: 'viber',
        reason: 'whatsapp skipped (TEMPLATE_NOT_APPROVED); trying viber',
      });
    });

    it('should leave the code out of the reason when the event has none', () => {
      const failed = planNext(
        input({ attempts: [attempt('whatsapp', 'failed')], event: { type: 'attempt-failed', channel: 'whatsapp' } }),
      );
      expect(failed.reason).toBe('whatsapp failed; trying viber');
      const skipped = planNext(
        input({ attempts: [attempt('whatsapp', 'skipped')], event: { type: 'attempt-skipped', channel: 'whatsapp' } }),
      );
      expect(skipped.reason).toBe('whatsapp skipped; trying viber');
    });

    it('should never go back to a channel that was already tried', () => {
      const decision = planNext(
        input({
          channels: ['sms', 'whatsapp', 'email'],
          attempts: [attempt('sms', 'failed'), attempt('whatsapp', 'undelivered')],
          event: { type: 'attempt-failed', channel: 'whatsapp' },
        }),
      );
      expect(decision).toMatchObject({ action: 'send', channel: 'email', address: EMAIL });
    });

    it('should apply the skip rules to the remaining channels only', () => {
      const decision = planNext(
        input({
          channels: ['whatsapp', 'rcs', 'sms'],
          attempts: [attempt('whatsapp', 'failed')],
          available: new Set<Channel>(['whatsapp', 'sms']),
          event: { type: 'attempt-failed', channel: 'whatsapp', code: 'X' },
        }),
      );
      expect(decision).toEqual({
        action: 'send',
        channel: 'sms',
        address: PHONE,
        skips: [{ channel: 'rcs', code: 'CHANNEL_NOT_CONFIGURED', reason: 'rcs is not configured' }],
        reason: 'whatsapp failed (X); rcs skipped: rcs is not configured; trying sms',
      });
    });

    it('should be exhausted when every channel was tried', () => {
      const decision = planNext(
        input({
          channels: ['whatsapp', 'sms'],
          attempts: [attempt('whatsapp', 'failed'), attempt('sms', 'expired')],
          event: { type: 'attempt-failed', channel: 'sms', code: 'EXPIRED' },
        }),
      );
      expect(decision).toEqual({
        action: 'exhausted',
        skips: [],
        reason: 'sms failed (EXPIRED); no channel left',
      });
    });
  });

  describe('while the last attempt is in flight', () => {
    it.each<AttemptStatus>(['queued', 'submitted', 'sent'])(
      'should wait while the last attempt is %s and the goal is delivered',
      (status) => {
        const decision = planNext(
          input({ attempts: [attempt('whatsapp', status)], event: { type: 'status', channel: 'whatsapp', status } }),
        );
        expect(decision).toEqual({ action: 'wait', reason: 'waiting for whatsapp to reach delivered' });
      },
    );

    it('should wait even on an unrelated event while the last attempt is in flight', () => {
      const decision = planNext(input({ attempts: [attempt('whatsapp', 'submitted')], event: { type: 'start' } }));
      expect(decision.action).toBe('wait');
    });

    it('should wait for the newest attempt even if an earlier one failed', () => {
      const decision = planNext(
        input({
          successOn: 'read',
          attempts: [attempt('whatsapp', 'failed'), attempt('viber', 'delivered')],
          event: { type: 'status', channel: 'viber', status: 'delivered' },
        }),
      );
      expect(decision).toEqual({ action: 'wait', reason: 'waiting for viber to reach read' });
    });
  });

  describe('on timeout', () => {
    it('should move on when the last attempt did not reach the goal in time', () => {
      const decision = planNext(
        input({
          attempts: [attempt('whatsapp', 'sent')],
          event: { type: 'timeout', channel: 'whatsapp', afterMs: 120_000 },
        }),
      );
      expect(decision).toEqual({
        action: 'send',
        channel: 'viber',
        address: PHONE,
        skips: [],
        reason: 'whatsapp did not reach the success status within 120s; trying viber',
      });
    });

    it('should round the timeout to whole seconds in the reason', () => {
      const decision = planNext(
        input({
          attempts: [attempt('whatsapp', 'submitted')],
          event: { type: 'timeout', channel: 'whatsapp', afterMs: 1_600 },
        }),
      );
      expect(decision.reason).toBe('whatsapp did not reach the success status within 2s; trying viber');
    });

    it('should keep waiting when a stale timeout arrives for an earlier channel', () => {
      const decision = planNext(
        input({
          attempts: [attempt('whatsapp', 'failed'), attempt('viber', 'submitted')],
          event: { type: 'timeout', channel: 'whatsapp', afterMs: 120_000 },
        }),
      );
      expect(decision).toEqual({ action: 'wait', reason: 'waiting for viber to reach delivered' });
    });

    it('should be exhausted when the last channel times out', () => {
      const decision = planNext(
        input({
          channels: ['sms'],
          attempts: [attempt('sms', 'submitted')],
          event: { type: 'timeout', channel: 'sms', afterMs: 60_000 },
        }),
      );
      expect(decision).toMatchObject({ action: 'exhausted', skips: [] });
    });

    it('should still be done when the timed-out attempt had in fact reached the goal', () => {
      const decision = planNext(
        input({
          attempts: [attempt('whatsapp', 'delivered')],
          event: { type: 'timeout', channel: 'whatsapp', afterMs: 60_000 },
        }),
      );
      expect(decision).toEqual({ action: 'done', channel: 'whatsapp', reason: 'whatsapp reached delivered' });
    });
  });

  describe('when the goal is reached', () => {
    it.each<[PlannerInput['successOn'], AttemptStatus]>([
      ['sent', 'sent'],
      ['sent', 'delivered'],
      ['sent', 'read'],
      ['delivered', 'delivered'],
      ['delivered', 'read'],
      ['read', 'read'],
    ])('should be done when successOn is %s and the attempt is %s', (successOn, status) => {
      const decision = planNext(
        input({ successOn, attempts: [attempt('sms', status)], event: { type: 'status', channel: 'sms', status } }),
      );
      expect(decision).toEqual({ action: 'done', channel: 'sms', reason: `sms reached ${status}` });
    });

    it.each<[PlannerInput['successOn'], AttemptStatus]>([
      ['sent', 'submitted'],
      ['delivered', 'sent'],
      ['read', 'sent'],
      ['read', 'delivered'],
    ])('should not be done when successOn is %s and the attempt is only %s', (successOn, status) => {
      const decision = planNext(
        input({ successOn, attempts: [attempt('sms', status)], event: { type: 'status', channel: 'sms', status } }),
      );
      expect(decision.action).toBe('wait');
    });

    it('should be done when an earlier attempt reached the goal after the cascade moved on', () => {
      const decision = planNext(
        input({
          attempts: [attempt('whatsapp', 'delivered'), attempt('viber', 'submitted')],
          event: { type: 'status', channel: 'whatsapp', status: 'delivered' },
        }),
      );
      expect(decision).toEqual({ action: 'done', channel: 'whatsapp', reason: 'whatsapp reached delivered' });
    });

    it('should be done rather than move on when the last attempt failed but an earlier one succeeded', () => {
      const decision = planNext(
        input({
          successOn: 'sent',
          attempts: [attempt('whatsapp', 'sent'), attempt('viber', 'failed')],
          event: { type: 'attempt-failed', channel: 'viber' },
        }),
      );
      expect(decision).toEqual({ action: 'done', channel: 'whatsapp', reason: 'whatsapp reached sent' });
    });

    it('should not count a failed attempt as reaching the goal', () => {
      const decision = planNext(
        input({
          successOn: 'sent',
          attempts: [attempt('whatsapp', 'undelivered')],
          event: { type: 'attempt-failed', channel: 'whatsapp' },
        }),
      );
      expect(decision).toMatchObject({ action: 'send', channel: 'viber' });
    });
  });
});
