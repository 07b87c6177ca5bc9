import { describe, expect, it } from '@jest/globals';
import type { StatusReport } from '#libs/channels/src/index.js';
import { Changes } from '../dispatch/changes.js';
import { applyReport, decide, recordSend, type RuleContext } from '../dispatch/dispatch-rules.js';
import type { DispatchAttempt, DispatchMessage } from '../dispatch/dispatch.types.js';

const NOW = new Date('2026-01-01T10:00:00Z');

function message(overrides: Partial<DispatchMessage> = {}): DispatchMessage {
  return {
    id: 'msg_1',
    workspaceId: 'ws_1',
    status: 'accepted',
    channel: null,
    channels: ['whatsapp', 'sms'],
    recipient: { phone: '+447700900123' },
    content: null,
    successOn: 'delivered',
    fallbackAfterMs: 60_000,
    validUntil: null,
    createdAt: NOW,
    consent: {},
    whatsappTemplate: false,
    storedTemplate: null,
    whatsappWindowOpen: false,
    attempts: [],
    ...overrides,
  };
}

function attempt(overrides: Partial<DispatchAttempt>): DispatchAttempt {
  return {
    id: 'att_1',
    seq: 1,
    channel: 'whatsapp',
    provider: 'sandbox',
    providerMessageId: 'pm_1',
    status: 'submitted',
    error: null,
    tries: 1,
    inFlightSince: null,
    submittedAt: NOW,
    ...overrides,
  };
}

const ctx: RuleContext = {
  now: NOW,
  available: new Set(['whatsapp', 'sms']),
  providerName: () => 'sandbox',
  retryBaseMs: 1000,
};

const report = (status: StatusReport['status'], providerMessageId = 'pm_1'): StatusReport => ({
  provider: 'sandbox',
  providerMessageId,
  status,
  at: NOW,
});

/** The dispatcher's status changes, as the callback outbox receives them (src/dispatch/changes.ts). */
describe('status changes for callbacks', () => {
  it('should record a new attempt as the one behind "sending", with the channel it goes by', () => {
    const changes = new Changes();
    const msg = message();
    decide(msg, ctx, changes);
    expect(changes.statusChanges).toEqual([
      {
        workspaceId: 'ws_1',
        messageId: 'msg_1',
        status: 'sending',
        channel: 'whatsapp',
        attempt: { id: msg.attempts[0].id, channel: 'whatsapp', provider: 'sandbox', status: 'queued' },
      },
    ]);
  });

  it('should record nothing when the status does not change', () => {
    const changes = new Changes();
    const msg = message({ status: 'sent', channel: 'whatsapp', attempts: [attempt({ status: 'sent' })] });
    changes.patchMessage(msg, { status: 'sent' });
    applyReport(msg, msg.attempts[0], report('sent'), changes);
    expect(changes.statusChanges).toEqual([]);
  });

  it('should record each status of a batch in order, each with the attempt as it was then', () => {
    const changes = new Changes();
    const msg = message({ status: 'sending', channel: 'whatsapp', attempts: [attempt({})] });
    applyReport(msg, msg.attempts[0], report('sent'), changes);
    applyReport(msg, msg.attempts[0], report('delivered'), changes);
    expect(changes.statusChanges.map((c) => [c.status, c.attempt?.status])).toEqual([
      ['sent', 'sent'],
      ['delivered', 'delivered'],
    ]);
  });

  it('should name the earlier attempt behind a late success, not the last one', () => {
    const changes = new Changes();
    const early = attempt({ id: 'att_1', channel: 'whatsapp', status: 'sent', providerMessageId: 'pm_1' });
    const last = attempt({ id: 'att_2', seq: 2, channel: 'sms', status: 'submitted', providerMessageId: 'pm_2' });
    const msg = message({ status: 'sent', channel: 'sms', attempts: [early, last] });
    applyReport(msg, early, report('delivered', 'pm_1'), changes);
    expect(changes.statusChanges).toEqual([
      expect.objectContaining({
        status: 'delivered',
        channel: 'whatsapp',
        attempt: { id: 'att_1', channel: 'whatsapp', provider: 'sandbox', status: 'delivered' },
      }),
    ]);
  });

  it('should carry the error of the attempt behind a failure', () => {
    const changes = new Changes();
    const msg = message({ channels: ['sms'] });
    const submission = decide(msg, ctx, changes)!;
    const error = { kind: 'NOT_REACHABLE' as const, code: '21211', message: 'invalid number', permanent: true };
    recordSend(msg, submission, { error }, ctx, changes);
    decide(msg, ctx, changes);
    expect(changes.statusChanges.map((c) => c.status)).toEqual(['sending', 'rejected']);
    expect(changes.statusChanges[1].attempt).toEqual({
      id: submission.attemptId,
      channel: 'sms',
      provider: 'sandbox',
      status: 'skipped',
      error: { code: '21211', message: 'invalid number', permanent: true },
    });
  });
});
