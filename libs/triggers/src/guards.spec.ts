import { describe, expect, it } from '@jest/globals';
import { decideFiring, type GuardInput } from './guards.js';

const NOON = new Date('2026-05-10T12:00:00.000Z');

function input(overrides: Partial<GuardInput> = {}): GuardInput {
  return {
    now: NOON,
    triggerStatus: 'active',
    exited: false,
    channels: ['whatsapp', 'sms'],
    consent: {},
    reachable: { whatsapp: true, sms: true },
    timeZone: null,
    oncePerTaken: false,
    ...overrides,
  };
}

describe(decideFiring.name, () => {
  it('should send on the trigger channels when nothing stands in the way', () => {
    expect(decideFiring(input())).toEqual({
      action: 'send',
      channels: ['whatsapp', 'sms'],
      reason: 'send on whatsapp, sms',
    });
  });

  describe('cancel', () => {
    it('should cancel a firing of a deleted trigger before anything else', () => {
      const decision = decideFiring(input({ triggerStatus: 'deleted', exited: true, consent: { whatsapp: false } }));
      expect(decision).toEqual({ action: 'cancel', reason: 'trigger_deleted', detail: expect.any(String) });
    });

    it('should cancel when the contact did the unless event, before a pause is looked at', () => {
      expect(decideFiring(input({ exited: true, triggerStatus: 'paused' }))).toEqual({
        action: 'cancel',
        reason: 'exited',
        detail: 'the contact did the exit event before the send was due',
      });
    });
  });

  describe('suppress', () => {
    it('should suppress a firing of a paused trigger', () => {
      expect(decideFiring(input({ triggerStatus: 'paused', oncePerTaken: true }))).toEqual({
        action: 'suppress',
        reason: 'trigger_paused',
        detail: 'the trigger is paused',
      });
    });

    it('should suppress when the contact refused every channel, naming them', () => {
      const decision = decideFiring(input({ consent: { whatsapp: false, sms: false }, oncePerTaken: true }));
      expect(decision).toEqual({
        action: 'suppress',
        reason: 'no_consent',
        detail: 'the contact has no consent for whatsapp, sms',
      });
    });

    it('should suppress when no consented channel has an address', () => {
      const decision = decideFiring(
        input({ consent: { sms: false }, reachable: { whatsapp: false, sms: true }, oncePerTaken: true }),
      );
      expect(decision).toEqual({
        action: 'suppress',
        reason: 'no_address',
        detail: 'the contact has no address for whatsapp',
      });
    });

    it('should take a missing reachability entry as no address', () => {
      expect(decideFiring(input({ reachable: {} }))).toMatchObject({ action: 'suppress', reason: 'no_address' });
    });

    it('should suppress when the oncePer value already fired', () => {
      expect(decideFiring(input({ oncePerTaken: true, cap: { max: 1, sent: 1 } }))).toEqual({
        action: 'suppress',
        reason: 'once_per',
        detail: 'the trigger already fired for this oncePer value',
      });
    });

    it('should suppress when the trigger cap is reached, and not before', () => {
      const frequencyCap = { max: 1, sent: 5 };
      expect(decideFiring(input({ cap: { max: 2, sent: 2 }, frequencyCap }))).toEqual({
        action: 'suppress',
        reason: 'cap',
        detail: "the trigger's cap of 2 per period is reached (2 sent)",
      });
      expect(decideFiring(input({ cap: { max: 2, sent: 3 } }))).toMatchObject({ reason: 'cap' });
      expect(decideFiring(input({ cap: { max: 2, sent: 1 } }))).toMatchObject({ action: 'send' });
    });

    it('should suppress when the workspace frequency cap is reached, and not before', () => {
      expect(decideFiring(input({ frequencyCap: { max: 3, sent: 3 } }))).toEqual({
        action: 'suppress',
        reason: 'frequency_cap',
        detail: 'the workspace frequency cap of 3 triggered sends per period is reached (3 sent)',
      });
      expect(decideFiring(input({ frequencyCap: { max: 3, sent: 2 } }))).toMatchObject({ action: 'send' });
    });

    it('should suppress a capped firing even inside quiet hours', () => {
      const decision = decideFiring(input({ cap: { max: 1, sent: 1 }, quietHours: { from: '11:00', to: '13:00' } }));
      expect(decision).toMatchObject({ action: 'suppress', reason: 'cap' });
    });
  });

  describe('quiet hours', () => {
    it('should delay to the end of the window in the contact time zone', () => {
      // 12:00 UTC is 08:00 in New York (EDT): inside 21:00 to 09:00 there, which ends at 13:00 UTC.
      const decision = decideFiring(
        input({ timeZone: 'America/New_York', quietHours: { from: '21:00', to: '09:00' } }),
      );
      expect(decision).toEqual({
        action: 'delay',
        until: new Date('2026-05-10T13:00:00.000Z'),
        reason: 'quiet_hours',
        detail: 'quiet hours 21:00–09:00 (America/New_York): delayed to 2026-05-10T13:00:00.000Z',
      });
    });

    it('should name UTC when the contact has no valid time zone', () => {
      const decision = decideFiring(input({ timeZone: 'Nowhere/Land', quietHours: { from: '11:00', to: '13:00' } }));
      expect(decision).toMatchObject({
        action: 'delay',
        until: new Date('2026-05-10T13:00:00.000Z'),
        detail: expect.stringContaining('(UTC)'),
      });
    });

    it('should send outside the window', () => {
      const decision = decideFiring(input({ timeZone: 'Europe/Berlin', quietHours: { from: '21:00', to: '08:00' } }));
      expect(decision).toMatchObject({ action: 'send' });
    });

    it('should send at the exact end of the window', () => {
      const decision = decideFiring(input({ quietHours: { from: '21:00', to: '12:00' } }));
      expect(decision).toMatchObject({ action: 'send' });
    });
  });

  describe('channels', () => {
    it('should drop only the channels the contact refused, keeping the order', () => {
      const decision = decideFiring(
        input({
          channels: ['whatsapp', 'viber', 'sms', 'email'],
          consent: { whatsapp: true, viber: false, email: false },
          reachable: { whatsapp: true, sms: true, email: true },
        }),
      );
      expect(decision).toEqual({
        action: 'send',
        channels: ['whatsapp', 'sms'],
        reason: 'send on whatsapp, sms; viber, email left out for lack of consent',
      });
    });

    it('should keep channels without an address when another one has one (the cascade skips them)', () => {
      const decision = decideFiring(input({ channels: ['whatsapp', 'sms', 'email'], reachable: { email: true } }));
      expect(decision).toMatchObject({ action: 'send', channels: ['whatsapp', 'sms', 'email'] });
    });

    it('should not count the address of a refused channel', () => {
      const decision = decideFiring(
        input({ channels: ['sms', 'email'], consent: { email: false }, reachable: { email: true } }),
      );
      expect(decision).toMatchObject({ action: 'suppress', reason: 'no_address' });
    });
  });

  it('should keep personal data out of every detail', () => {
    const decisions = [
      decideFiring(input({ triggerStatus: 'deleted' })),
      decideFiring(input({ exited: true })),
      decideFiring(input({ triggerStatus: 'paused' })),
      decideFiring(input({ consent: { whatsapp: false, sms: false } })),
      decideFiring(input({ reachable: {} })),
      decideFiring(input({ oncePerTaken: true })),
      decideFiring(input({ cap: { max: 1, sent: 1 } })),
      decideFiring(input({ frequencyCap: { max: 1, sent: 1 } })),
      decideFiring(input({ quietHours: { from: '11:00', to: '13:00' } })),
    ];
    for (const decision of decisions) {
      const text = 'detail' in decision ? decision.detail : decision.reason;
      expect(text).not.toMatch(/\+?\d{7,}|@/);
      expect(text.length).toBeGreaterThan(0);
    }
  });
});
