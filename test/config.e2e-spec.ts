import { afterAll, describe, expect, it } from '@jest/globals';
import { HeraldProcess, stopAll } from './support/processes.js';

/** Runs `node dist/src/main.js` with `env` and waits for it to exit (killing it after `timeoutMs`). */
async function runToExit(processes: HeraldProcess[], env: Record<string, string>, timeoutMs = 20_000) {
  const herald = new HeraldProcess({ LOG_LEVEL: 'silent', ...env });
  processes.push(herald);
  const timer = setTimeout(() => herald.child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await herald.exited;
  clearTimeout(timer);
  return { code, signal, lines: herald.output.split('\n').filter(Boolean) };
}

/** API §1: "Invalid configuration stops start-up with one clear line naming the variable. Secrets never appear in logs." */
describe('start-up with invalid configuration', () => {
  const processes: HeraldProcess[] = [];
  afterAll(() => stopAll(processes));

  it('should exit 1 with a line naming PORT when PORT=abc', async () => {
    const { code, signal, lines } = await runToExit(processes, { PORT: 'abc' });
    expect({ code, signal }).toEqual({ code: 1, signal: null });
    expect(lines).toEqual(['[herald] configuration: PORT must be an integer between 1 and 65535']);
  });

  it('should print one line per invalid variable and never the secrets', async () => {
    const { code, lines } = await runToExit(processes, {
      PORT: '70000',
      HERALD_ROLE: 'boss',
      DATABASE_URL: 'mysql://root:db-password-value@db/herald',
      TWILIO_AUTH_TOKEN: 'twilio-token-value',
    });
    expect(code).toBe(1);
    expect(lines.map((line) => line.replace('[herald] configuration: ', '').split(' ')[0]).sort()).toEqual([
      'DATABASE_URL',
      'HERALD_ROLE',
      'PORT',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_FROM',
    ]);
    expect(lines.join('\n')).not.toMatch(/db-password-value|twilio-token-value/);
  });

  it('should refuse to start a worker with an invalid HERALD_CLAIM_LEASE', async () => {
    const { code, lines } = await runToExit(processes, { HERALD_ROLE: 'worker', HERALD_CLAIM_LEASE: 'whenever' });
    expect(code).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/^\[herald\] configuration: HERALD_CLAIM_LEASE /)]);
  });
});
