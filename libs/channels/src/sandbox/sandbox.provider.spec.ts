import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Channel } from '#libs/core/src/index.js';
import type { SendRequest } from '../channel.port.js';
import type { PlannedReport } from './sandbox-behaviour.js';
import { SANDBOX_PROVIDER, SandboxProvider, type SandboxStore } from './sandbox.provider.js';
import { sendError } from '../send-error.testing.js';

const STEP = 50;
const WORKSPACE = 'ws-1';

interface Acceptance {
  workspaceId: string;
  providerMessageId: string;
  reports: PlannedReport[];
}

/** A test double of the SandboxStore interface, kept in memory. */
class InMemorySandboxStore implements SandboxStore {
  readonly calls = new Map<string, { workspaceId: string; channel: Channel; count: number }>();
  readonly accepted = new Map<string, Acceptance>();
  acceptCalls = 0;

  async recordCall(attemptId: string, workspaceId: string, channel: Channel) {
    const entry = this.calls.get(attemptId) ?? { workspaceId, channel, count: 0 };
    entry.count += 1;
    this.calls.set(attemptId, entry);
    return { call: entry.count, providerMessageId: this.accepted.get(attemptId)?.providerMessageId ?? null };
  }

  async accept(attemptId: string, workspaceId: string, providerMessageId: string, reports: PlannedReport[]) {
    this.acceptCalls += 1;
    this.accepted.set(attemptId, { workspaceId, providerMessageId, reports });
  }

  async acceptFirst(
    attemptId: string,
    workspaceId: string,
    channel: Channel,
    providerMessageId: string,
    reports: PlannedReport[],
  ) {
    const { call, providerMessageId: earlier } = await this.recordCall(attemptId, workspaceId, channel);
    if (call > 1) return { first: false as const, call, providerMessageId: earlier };
    await this.accept(attemptId, workspaceId, providerMessageId, reports);
    return { first: true as const };
  }

  async find(attemptId: string) {
    const found = this.accepted.get(attemptId);
    return found ? { providerMessageId: found.providerMessageId } : null;
  }
}

let nextAttempt = 0;
function request(channel: Channel, address: string, attemptId = `att-${++nextAttempt}`): SendRequest {
  return { attemptId, workspaceId: WORKSPACE, channel, address, content: { text: 'Hello' } };
}

describe(SandboxProvider.name, () => {
  let store: InMemorySandboxStore;
  const provider = (channel: Channel) => new SandboxProvider(channel, store, STEP);

  beforeEach(() => {
    store = new InMemorySandboxStore();
  });

  it('should call itself the sandbox provider for its channel', () => {
    const whatsapp = provider('whatsapp');
    expect(whatsapp.name).toBe(SANDBOX_PROVIDER);
    expect(whatsapp.name).toBe('sandbox');
    expect(whatsapp.channel).toBe('whatsapp');
  });

  describe('send', () => {
    it('should accept 0001 and plan a permanent failure report', async () => {
      const req = request('sms', '+15550000001');
      const result = await provider('sms').send(req);

      expect(result).toEqual({
        providerMessageId: expect.stringMatching(/^SBX[0-9a-f]{32}$/),
        status: 'submitted',
        segments: 1,
      });
      expect(store.accepted.get(req.attemptId)).toEqual({
        workspaceId: WORKSPACE,
        providerMessageId: result.providerMessageId,
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

    it.each<Channel>(['whatsapp', 'viber', 'rcs'])('should refuse 0002 on %s as not reachable', async (channel) => {
      const req = request(channel, '+15550000002');
      const error = await sendError(provider(channel).send(req));

      expect(error.name).toBe('ChannelSendError');
      expect(error.message).toBe('Recipient is not on this channel');
      expect(error.error).toEqual({
        kind: 'NOT_REACHABLE',
        code: 'SANDBOX_NOT_REACHABLE',
        message: 'Recipient is not on this channel',
        permanent: true,
      });
      expect(store.accepted.has(req.attemptId)).toBe(false);
    });

    it.each<[Channel, string]>([
      ['sms', '+15550000002'],
      ['email', 'box-0002@example.com'],
    ])('should deliver 0002 on %s', async (channel, address) => {
      const req = request(channel, address);
      const result = await provider(channel).send(req);

      expect(result.status).toBe('submitted');
      expect(store.accepted.get(req.attemptId)?.reports.map((r) => r.status)).toEqual(['sent', 'delivered']);
    });

    it('should accept 0003 and plan no reports', async () => {
      const req = request('whatsapp', '+15550000003');
      const result = await provider('whatsapp').send(req);

      expect(result.status).toBe('submitted');
      expect(store.accepted.get(req.attemptId)).toEqual({
        workspaceId: WORKSPACE,
        providerMessageId: result.providerMessageId,
        reports: [],
      });
    });

    it('should refuse 0004 twice with a temporary error, then accept it', async () => {
      const sms = provider('sms');
      const req = request('sms', '+15550000004');

      for (let i = 0; i < 2; i++) {
        const error = await sendError(sms.send(req));
        expect(error.error).toEqual({
          kind: 'TEMPORARY',
          code: 'SANDBOX_TEMPORARY',
          message: 'Temporary provider error',
          permanent: false,
        });
        expect(store.accepted.has(req.attemptId)).toBe(false);
      }

      const result = await sms.send(req);
      expect(result).toMatchObject({ status: 'submitted', segments: 1 });
      expect(store.calls.get(req.attemptId)?.count).toBe(3);
      expect(store.accepted.get(req.attemptId)?.reports).toEqual([
        { status: 'sent', afterMs: STEP },
        { status: 'delivered', afterMs: 2 * STEP },
      ]);
    });

    it('should count temporary failures per attempt, not per recipient', async () => {
      const sms = provider('sms');
      await sendError(sms.send(request('sms', '+15550000004', 'a')));
      await sendError(sms.send(request('sms', '+15550000004', 'b')));
      await sendError(sms.send(request('sms', '+15550000004', 'a')));
      await expect(sms.send(request('sms', '+15550000004', 'a'))).resolves.toMatchObject({ status: 'submitted' });
      await sendError(sms.send(request('sms', '+15550000004', 'b')));
    });

    it('should plan sent, delivered and read for 0005', async () => {
      const req = request('rcs', '+15550000005');
      await provider('rcs').send(req);

      expect(store.accepted.get(req.attemptId)?.reports).toEqual([
        { status: 'sent', afterMs: STEP },
        { status: 'delivered', afterMs: 2 * STEP },
        { status: 'read', afterMs: 3 * STEP },
      ]);
    });

    it.each<[Channel, string]>([
      ['sms', '+15550001234'],
      ['whatsapp', '+447700900123'],
      ['viber', 'vb-user-9'],
      ['email', 'ada@example.com'],
    ])('should plan sent then delivered on %s for %s', async (channel, address) => {
      const req = request(channel, address);
      await provider(channel).send(req);

      expect(store.accepted.get(req.attemptId)?.reports).toEqual([
        { status: 'sent', afterMs: STEP },
        { status: 'delivered', afterMs: 2 * STEP },
      ]);
    });

    it('should decide email by the local part', async () => {
      const email = provider('email');
      const failing = request('email', 'fail-0001@example.com');
      const fine = request('email', 'ada@relay0001.example.com');
      await email.send(failing);
      await email.send(fine);

      expect(store.accepted.get(failing.attemptId)?.reports.map((r) => r.status)).toEqual(['failed']);
      expect(store.accepted.get(fine.attemptId)?.reports.map((r) => r.status)).toEqual(['sent', 'delivered']);
    });

    it('should give each accepted attempt its own provider message id', async () => {
      const sms = provider('sms');
      const first = await sms.send(request('sms', '+15550001234'));
      const second = await sms.send(request('sms', '+15550001234'));
      expect(first.providerMessageId).not.toBe(second.providerMessageId);
    });

    it('should record the call against the attempt, workspace and channel', async () => {
      const req = request('viber', '+15550001234');
      await provider('viber').send(req);
      expect(store.calls.get(req.attemptId)).toEqual({ workspaceId: WORKSPACE, channel: 'viber', count: 1 });
    });

    it('should answer a repeated submission with the earlier provider message id and not accept it again', async () => {
      const sms = provider('sms');
      const req = request('sms', '+15550001234');
      const first = await sms.send(req);
      const reportsBefore = store.accepted.get(req.attemptId)?.reports;

      const again = await sms.send(req);

      expect(again).toEqual({ providerMessageId: first.providerMessageId, status: 'submitted' });
      expect(store.acceptCalls).toBe(1);
      expect(store.accepted.get(req.attemptId)?.reports).toBe(reportsBefore);
      expect(store.calls.get(req.attemptId)?.count).toBe(2);
    });

    it('should acknowledge a repeat of an accepted 0004 attempt instead of failing again', async () => {
      const sms = provider('sms');
      const req = request('sms', '+15550000004');
      await sendError(sms.send(req));
      await sendError(sms.send(req));
      const accepted = await sms.send(req);

      await expect(sms.send(req)).resolves.toEqual({
        providerMessageId: accepted.providerMessageId,
        status: 'submitted',
      });
      expect(store.acceptCalls).toBe(1);
    });
  });

  describe('lookup', () => {
    it('should find an accepted attempt by its id', async () => {
      const sms = provider('sms');
      const req = request('sms', '+15550001234');
      const sent = await sms.send(req);

      await expect(sms.lookup(req.attemptId)).resolves.toEqual({
        providerMessageId: sent.providerMessageId,
        status: 'submitted',
      });
    });

    it('should return null for an attempt it never saw', async () => {
      await expect(provider('sms').lookup('never-sent')).resolves.toBeNull();
    });

    it('should return null for an attempt it refused', async () => {
      const whatsapp = provider('whatsapp');
      const req = request('whatsapp', '+15550000002');
      await sendError(whatsapp.send(req));

      await expect(whatsapp.lookup(req.attemptId)).resolves.toBeNull();
    });
  });
});
