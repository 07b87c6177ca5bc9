import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe(loadConfig.name, () => {
  it('should apply the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      role: 'all',
      sandbox: true,
      publicUrl: 'http://localhost:3000',
      claimLeaseMs: 60_000,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    expect(config.twilio).toBeUndefined();
  });

  it('should treat an empty variable as unset', () => {
    expect(loadConfig({ HERALD_ADMIN_TOKEN: '', PORT: '  ' })).toMatchObject({ adminToken: undefined, port: 3000 });
  });

  it('should read valid values', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/herald',
      PORT: '8080',
      HERALD_ROLE: 'worker',
      HERALD_ADMIN_TOKEN: 'root',
      HERALD_SANDBOX: 'false',
      HERALD_CLAIM_LEASE: '90s',
      HERALD_POLL_INTERVAL: 'PT1S',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u:p@db:5432/herald',
      port: 8080,
      role: 'worker',
      adminToken: 'root',
      sandbox: false,
      claimLeaseMs: 90_000,
      pollIntervalMs: 1_000,
      publicUrl: 'http://localhost:8080',
    });
  });

  it.each([['abc'], ['0'], ['65536'], ['80.5'], ['-1'], ['0x50'], ['1e3']])(
    'should reject PORT=%s with one line naming PORT',
    (port) => {
      expect(problems({ PORT: port })).toEqual([expect.stringMatching(/^PORT /)]);
    },
  );

  it('should reject an unknown HERALD_ROLE', () => {
    expect(problems({ HERALD_ROLE: 'boss' })).toEqual(['HERALD_ROLE must be all, api or worker']);
  });

  it.each([['mysql://u@db/herald'], ['not a url'], ['http://db:5432/herald']])(
    'should reject DATABASE_URL=%s',
    (url) => {
      expect(problems({ DATABASE_URL: url })).toEqual([
        expect.stringMatching(/^DATABASE_URL must be a URL starting with postgres:\/\//),
      ]);
    },
  );

  it('should accept postgresql:// URLs with parameters', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/herald?application_name=w1' }).databaseUrl).toBe(
      'postgresql://db/herald?application_name=w1',
    );
  });

  it.each([['soon'], ['10 parsecs']])(
    'should reject a duration that does not parse (HERALD_CLAIM_LEASE=%s)',
    (value) => {
      expect(problems({ HERALD_CLAIM_LEASE: value })).toEqual([
        expect.stringMatching(/^HERALD_CLAIM_LEASE must be a duration/),
      ]);
    },
  );

  it('should reject a claim lease under a second', () => {
    expect(problems({ HERALD_CLAIM_LEASE: '500ms' })).toEqual(['HERALD_CLAIM_LEASE must be at least 1s']);
  });

  it('should default status callbacks to public targets, a 10 s first retry and a 24 h window', () => {
    expect(loadConfig({})).toMatchObject({
      allowPrivateCallbacks: false,
      callbackRetryBaseMs: 10_000,
      callbackRetryWindowMs: 86_400_000,
    });
    expect(
      loadConfig({
        HERALD_ALLOW_PRIVATE_CALLBACKS: 'true',
        HERALD_CALLBACK_RETRY_BASE: '100ms',
        HERALD_CALLBACK_RETRY_WINDOW: 'PT2H',
      }),
    ).toMatchObject({ allowPrivateCallbacks: true, callbackRetryBaseMs: 100, callbackRetryWindowMs: 7_200_000 });
  });

  it('should reject status callback settings out of range, one line each', () => {
    expect(
      problems({
        HERALD_ALLOW_PRIVATE_CALLBACKS: 'sometimes',
        HERALD_CALLBACK_RETRY_BASE: '2h',
        HERALD_CALLBACK_RETRY_WINDOW: '500ms',
      }),
    ).toEqual([
      'HERALD_ALLOW_PRIVATE_CALLBACKS must be true or false',
      'HERALD_CALLBACK_RETRY_BASE must be between 10ms and 1h',
      'HERALD_CALLBACK_RETRY_WINDOW must be between 1s and 30d',
    ]);
    expect(problems({ HERALD_CALLBACK_RETRY_BASE: 'soon' })).toEqual([
      expect.stringMatching(/^HERALD_CALLBACK_RETRY_BASE must be a duration/),
    ]);
  });

  it('should keep events 400 days and the callback log 30 days unless told, never events under 180 days', () => {
    expect(loadConfig({})).toMatchObject({
      eventRetentionMs: 400 * 86_400_000,
      callbackLogRetentionMs: 30 * 86_400_000,
    });
    expect(loadConfig({ HERALD_EVENT_RETENTION: '200d', HERALD_CALLBACK_LOG_RETENTION: '7d' })).toMatchObject({
      eventRetentionMs: 200 * 86_400_000,
      callbackLogRetentionMs: 7 * 86_400_000,
    });
    expect(problems({ HERALD_EVENT_RETENTION: '30d', HERALD_CALLBACK_LOG_RETENTION: '1h' })).toEqual([
      'HERALD_EVENT_RETENTION must be at least 180d',
      'HERALD_CALLBACK_LOG_RETENTION must be at least 1d',
    ]);
  });

  it('should reject LOG_LEVEL and HERALD_SANDBOX values it does not know', () => {
    expect(problems({ LOG_LEVEL: 'loud', HERALD_SANDBOX: 'maybe' })).toEqual([
      expect.stringMatching(/^HERALD_SANDBOX /),
      expect.stringMatching(/^LOG_LEVEL /),
    ]);
  });

  it('should report every missing variable of a partial Twilio configuration, one line each', () => {
    expect(problems({ TWILIO_ACCOUNT_SID: TWILIO_SID })).toEqual([
      'TWILIO_AUTH_TOKEN is required when Twilio is configured',
      'TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is required when Twilio is configured',
    ]);
  });

  it('should accept a complete Twilio configuration', () => {
    const config = loadConfig({
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: 'tok',
      TWILIO_MESSAGING_SERVICE_SID: 'MG1',
    });
    expect(config.twilio).toEqual({
      accountSid: TWILIO_SID,
      authToken: 'tok',
      from: undefined,
      messagingServiceSid: 'MG1',
      baseUrl: 'https://api.twilio.com',
    });
  });

  it('should name a malformed Twilio account SID without echoing it or the token', () => {
    const lines = problems({
      TWILIO_ACCOUNT_SID: 'ACsecret-sid-value',
      TWILIO_AUTH_TOKEN: 'secret-token-value',
      TWILIO_FROM: '+15550001234',
    });
    expect(lines).toEqual([expect.stringMatching(/^TWILIO_ACCOUNT_SID /)]);
    expect(lines.join('\n')).not.toMatch(/secret-(sid|token)-value/);
  });

  it('should report partial WhatsApp, Viber, RBM and SMTP sections', () => {
    expect(
      problems({
        WHATSAPP_APP_SECRET: 's',
        VIBER_SENDER_NAME: 'Shop',
        RBM_AGENT_ID: 'agent',
        SMTP_URL: 'smtp://mail:25',
      }),
    ).toEqual([
      'WHATSAPP_ACCESS_TOKEN is required when WhatsApp is configured',
      'WHATSAPP_PHONE_NUMBER_ID is required when WhatsApp is configured',
      'VIBER_AUTH_TOKEN is required when Viber is configured',
      'RBM_SERVICE_ACCOUNT_KEY_FILE or RBM_ACCESS_TOKEN is required when RBM is configured',
      'EMAIL_FROM is required when SMTP is configured',
    ]);
  });

  it('should reject an SMTP_URL that is not smtp:// or smtps://', () => {
    expect(problems({ SMTP_URL: 'http://mail:25', EMAIL_FROM: 'shop@example.com' })).toEqual([
      expect.stringMatching(/^SMTP_URL must be a URL starting with smtp:\/\/ or smtps:\/\//),
    ]);
  });

  it('should report all problems at once, each line starting with its variable', () => {
    const lines = problems({
      PORT: 'abc',
      HERALD_ROLE: 'boss',
      DATABASE_URL: 'nope',
      PUBLIC_URL: 'ftp://x',
      HERALD_DB_POOL: '1',
    });
    expect(lines).toHaveLength(5);
    expect(lines.map((line) => line.split(' ')[0]).sort()).toEqual([
      'DATABASE_URL',
      'HERALD_DB_POOL',
      'HERALD_ROLE',
      'PORT',
      'PUBLIC_URL',
    ]);
  });
});
