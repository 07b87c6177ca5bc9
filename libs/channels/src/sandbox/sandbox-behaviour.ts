import type { Channel } from '#libs/core/src/index.js';
import type { ChannelError, StatusReport } from '../channel.port.js';

/**
 * The sandbox's deterministic outcomes (API §4 "Sandbox channels"): the recipient's last four digits
 * (for email, the end of the local part) decide what happens, on every channel.
 */
export type SandboxScenario =
  'permanent-failure' | 'not-reachable' | 'silent' | 'temporary-twice' | 'read' | 'delivered';

export function sandboxScenario(channel: Channel, address: string): SandboxScenario {
  const key = channel === 'email' ? address.split('@')[0] : address;
  switch (key.slice(-4)) {
    case '0001':
      return 'permanent-failure';
    case '0002':
      return channel === 'sms' || channel === 'email' ? 'delivered' : 'not-reachable';
    case '0003':
      return 'silent';
    case '0004':
      return 'temporary-twice';
    case '0005':
      return 'read';
    default:
      return 'delivered';
  }
}

export interface PlannedReport {
  status: StatusReport['status'];
  afterMs: number;
  error?: ChannelError;
}

export type SandboxDecision = { accept: false; error: ChannelError } | { accept: true; reports: PlannedReport[] };

/** What the sandbox does with the `call`-th submission (1-based) of one attempt. */
export function sandboxDecision(scenario: SandboxScenario, call: number, stepMs: number): SandboxDecision {
  const sent: PlannedReport = { status: 'sent', afterMs: stepMs };
  const delivered: PlannedReport = { status: 'delivered', afterMs: 2 * stepMs };
  switch (scenario) {
    case 'not-reachable':
      return {
        accept: false,
        error: {
          kind: 'NOT_REACHABLE',
          code: 'SANDBOX_NOT_REACHABLE',
          message: 'Recipient is not on this channel',
          permanent: true,
        },
      };
    case 'temporary-twice':
      if (call <= 2) {
        return {
          accept: false,
          error: {
            kind: 'TEMPORARY',
            code: 'SANDBOX_TEMPORARY',
            message: 'Temporary provider error',
            permanent: false,
          },
        };
      }
      return { accept: true, reports: [sent, delivered] };
    case 'permanent-failure':
      return {
        accept: true,
        reports: [
          {
            status: 'failed',
            afterMs: stepMs,
            error: {
              kind: 'NOT_REACHABLE',
              code: 'SANDBOX_UNDELIVERABLE',
              message: 'Message undeliverable',
              permanent: true,
            },
          },
        ],
      };
    case 'silent':
      return { accept: true, reports: [] };
    case 'read':
      return { accept: true, reports: [sent, delivered, { status: 'read', afterMs: 3 * stepMs }] };
    case 'delivered':
      return { accept: true, reports: [sent, delivered] };
  }
}
