import { parseDuration } from '#libs/core/src/index.js';

/**
 * Herald's configuration (API §1), read from the environment once at start-up. Every problem is
 * reported as one line naming the variable; secrets are never echoed.
 */
export type Role = 'all' | 'api' | 'worker';

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from?: string;
  messagingServiceSid?: string;
  baseUrl: string;
}
export interface WhatsAppConfig {
  accessToken: string;
  phoneNumberId: string;
  wabaId?: string;
  appSecret?: string;
  verifyToken?: string;
  graphUrl: string;
  apiVersion: string;
}
export interface ViberConfig {
  authToken: string;
  senderName: string;
  baseUrl: string;
}
export interface RbmConfig {
  agentId: string;
  serviceAccountKeyFile?: string;
  accessToken?: string;
  clientToken?: string;
  baseUrl: string;
}
export interface SmtpConfig {
  url: string;
  from: string;
}

export interface HeraldConfig {
  databaseUrl?: string;
  port: number;
  role: Role;
  adminToken?: string;
  publicUrl: string;
  sandbox: boolean;
  /** Delay between the sandbox's simulated status reports. */
  sandboxStepMs: number;
  dataDir: string;
  logLevel: string;
  /** How often an idle worker looks for due work. */
  pollIntervalMs: number;
  /**
   * HERALD_CLAIM_LEASE (default 60s): how long a message stays reserved for the worker that claimed it or is
   * submitting it; after a crash another worker takes it over once this runs out. It must outlast a claimed
   * batch's processing including the slowest provider call (its HTTP timeout), or two workers could work on
   * one message at once. Tests shorten it to see crash recovery quickly.
   */
  claimLeaseMs: number;
  dispatchBatchSize: number;
  dispatchConcurrency: number;
  shutdownGraceMs: number;
  /** How long an open provider breaker waits before letting one call through again. */
  breakerResetMs: number;
  /** HERALD_TEMPLATE_SYNC_INTERVAL (default 15m): how often one worker pulls WhatsApp template statuses from Meta. */
  templateSyncIntervalMs: number;
  /** How many calls a breaker needs in its window before it may open. */
  breakerVolume: number;
  /** Sends per second per real provider and process (token bucket); a channel without one is not limited. */
  rateLimits: Partial<Record<'sms' | 'whatsapp' | 'viber' | 'rcs' | 'email', number>>;
  /** First retry delay after a temporary provider error; doubles per try. */
  retryBaseMs: number;
  dbPoolSize: number;
  /** HERALD_ALLOW_PRIVATE_CALLBACKS (default false): status callbacks may target private, loopback, link-local… addresses. */
  allowPrivateCallbacks: boolean;
  /** HERALD_CALLBACK_RETRY_BASE (default 10s): first retry delay of a status callback; doubles per try, at most 1 h. */
  callbackRetryBaseMs: number;
  /** HERALD_CALLBACK_RETRY_WINDOW (default 24h): how long after a status change its callback is retried. */
  callbackRetryWindowMs: number;
  /** HERALD_EVENT_RETENTION (default 400d, at least 180d): how long customer events are kept once evaluated. */
  eventRetentionMs: number;
  /** HERALD_CALLBACK_LOG_RETENTION (default 30d): how long delivered or failed callbacks stay in the delivery log. */
  callbackLogRetentionMs: number;
  twilio?: TwilioConfig;
  whatsapp?: WhatsAppConfig;
  viber?: ViberConfig;
  rbm?: RbmConfig;
  smtp?: SmtpConfig;
  shopifyWebhookSecret?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): HeraldConfig {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    // Digits only: Number() would also take "0x50", "1e3" or "8_0".
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false`);
    return fallback;
  };
  const url = (name: string, fallback?: string, protocols = ['http:', 'https:']): string | undefined => {
    const raw = str(name) ?? fallback;
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return fallback;
    }
  };
  const ms = (name: string, fallback: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = parseDuration(raw);
    if (value === null) {
      problems.push(`${name} must be a duration such as 500ms, 30s or 2m`);
      return fallback;
    }
    return value;
  };
  /**
   * A channel is configured when any of its variables is set; then all of `required` must be. The section's
   * other checks still run when some are missing, so one start-up reports every problem, not the first few.
   */
  const section = (label: string, names: string[], required: string[]): boolean => {
    if (!names.some((name) => str(name) !== undefined)) return false;
    for (const name of required)
      if (str(name) === undefined) problems.push(`${name} is required when ${label} is configured`);
    return true;
  };

  const port = int('PORT', 3000, 1, 65535);
  const roleRaw = str('HERALD_ROLE') ?? 'all';
  if (!['all', 'api', 'worker'].includes(roleRaw)) problems.push('HERALD_ROLE must be all, api or worker');
  const databaseUrl = url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']);

  const config: HeraldConfig = {
    databaseUrl,
    port,
    role: (['all', 'api', 'worker'].includes(roleRaw) ? roleRaw : 'all') as Role,
    adminToken: str('HERALD_ADMIN_TOKEN'),
    publicUrl: url('PUBLIC_URL', `http://localhost:${port}`) ?? `http://localhost:${port}`,
    sandbox: bool('HERALD_SANDBOX', true),
    sandboxStepMs: ms('HERALD_SANDBOX_STEP', 250),
    dataDir: str('HERALD_DATA_DIR') ?? '.herald',
    logLevel: str('LOG_LEVEL') ?? 'info',
    pollIntervalMs: ms('HERALD_POLL_INTERVAL', 100),
    claimLeaseMs: ms('HERALD_CLAIM_LEASE', 60_000),
    dispatchBatchSize: int('HERALD_DISPATCH_BATCH', 200, 1, 5000),
    dispatchConcurrency: int('HERALD_DISPATCH_CONCURRENCY', 16, 1, 256),
    shutdownGraceMs: ms('HERALD_SHUTDOWN_GRACE', 10_000),
    retryBaseMs: ms('HERALD_RETRY_BASE', 1_000),
    breakerResetMs: ms('HERALD_BREAKER_RESET', 30_000),
    breakerVolume: int('HERALD_BREAKER_VOLUME', 20, 1, 10_000),
    templateSyncIntervalMs: ms('HERALD_TEMPLATE_SYNC_INTERVAL', 15 * 60_000),
    // Defaults from the providers' documented limits: Cloud API 80 msg/s per number, Viber 50/s.
    rateLimits: Object.fromEntries(
      (
        [
          ['sms', 'HERALD_RATE_SMS', 0],
          ['whatsapp', 'HERALD_RATE_WHATSAPP', 80],
          ['viber', 'HERALD_RATE_VIBER', 50],
          ['rcs', 'HERALD_RATE_RCS', 0],
          ['email', 'HERALD_RATE_EMAIL', 0],
        ] as const
      )
        .map(([channel, name, fallback]) => [channel, int(name, fallback, 0, 100_000)] as const)
        .filter(([, rate]) => rate > 0),
    ),
    dbPoolSize: int('HERALD_DB_POOL', 20, 2, 200),
    allowPrivateCallbacks: bool('HERALD_ALLOW_PRIVATE_CALLBACKS', false),
    callbackRetryBaseMs: ms('HERALD_CALLBACK_RETRY_BASE', 10_000),
    callbackRetryWindowMs: ms('HERALD_CALLBACK_RETRY_WINDOW', 24 * 3_600_000),
    eventRetentionMs: ms('HERALD_EVENT_RETENTION', 400 * 86_400_000),
    callbackLogRetentionMs: ms('HERALD_CALLBACK_LOG_RETENTION', 30 * 86_400_000),
    shopifyWebhookSecret: str('SHOPIFY_WEBHOOK_SECRET'),
  };
  if (config.claimLeaseMs < 1_000) problems.push('HERALD_CLAIM_LEASE must be at least 1s');
  if (config.callbackRetryBaseMs < 10 || config.callbackRetryBaseMs > 3_600_000)
    problems.push('HERALD_CALLBACK_RETRY_BASE must be between 10ms and 1h');
  if (config.callbackRetryWindowMs < 1_000 || config.callbackRetryWindowMs > 30 * 86_400_000)
    problems.push('HERALD_CALLBACK_RETRY_WINDOW must be between 1s and 30d');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
  }

  if (
    section(
      'Twilio',
      ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM', 'TWILIO_MESSAGING_SERVICE_SID'],
      ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'],
    )
  ) {
    const from = str('TWILIO_FROM');
    const messagingServiceSid = str('TWILIO_MESSAGING_SERVICE_SID');
    if (!from && !messagingServiceSid)
      problems.push('TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is required when Twilio is configured');
    const sid = str('TWILIO_ACCOUNT_SID');
    if (sid !== undefined && !/^AC[0-9a-fA-F]{32}$/.test(sid))
      problems.push('TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits');
    config.twilio = {
      accountSid: str('TWILIO_ACCOUNT_SID')!,
      authToken: str('TWILIO_AUTH_TOKEN')!,
      from,
      messagingServiceSid,
      baseUrl: url('TWILIO_BASE_URL', 'https://api.twilio.com')!,
    };
  }
  if (config.templateSyncIntervalMs < 1000) problems.push('HERALD_TEMPLATE_SYNC_INTERVAL must be at least 1s');
  // Rules look back at most 90 days (windows) plus 30 (delays): events younger than that must stay.
  if (config.eventRetentionMs < 180 * 86_400_000) problems.push('HERALD_EVENT_RETENTION must be at least 180d');
  if (config.callbackLogRetentionMs < 86_400_000) problems.push('HERALD_CALLBACK_LOG_RETENTION must be at least 1d');
  if (
    section(
      'WhatsApp',
      [
        'WHATSAPP_ACCESS_TOKEN',
        'WHATSAPP_PHONE_NUMBER_ID',
        'WHATSAPP_WABA_ID',
        'WHATSAPP_APP_SECRET',
        'WHATSAPP_VERIFY_TOKEN',
      ],
      ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID'],
    )
  ) {
    config.whatsapp = {
      accessToken: str('WHATSAPP_ACCESS_TOKEN')!,
      phoneNumberId: str('WHATSAPP_PHONE_NUMBER_ID')!,
      wabaId: str('WHATSAPP_WABA_ID'),
      appSecret: str('WHATSAPP_APP_SECRET'),
      verifyToken: str('WHATSAPP_VERIFY_TOKEN'),
      graphUrl: url('WHATSAPP_GRAPH_URL', 'https://graph.facebook.com')!,
      apiVersion: str('WHATSAPP_API_VERSION') ?? 'v23.0',
    };
    if (!/^v\d+\.\d+$/.test(config.whatsapp.apiVersion)) problems.push('WHATSAPP_API_VERSION must look like v23.0');
  }
  if (section('Viber', ['VIBER_AUTH_TOKEN', 'VIBER_SENDER_NAME'], ['VIBER_AUTH_TOKEN', 'VIBER_SENDER_NAME'])) {
    config.viber = {
      authToken: str('VIBER_AUTH_TOKEN')!,
      senderName: str('VIBER_SENDER_NAME')!,
      baseUrl: url('VIBER_BASE_URL', 'https://chatapi.viber.com/pa')!,
    };
  }
  if (
    section(
      'RBM',
      ['RBM_AGENT_ID', 'RBM_SERVICE_ACCOUNT_KEY_FILE', 'RBM_ACCESS_TOKEN', 'RBM_CLIENT_TOKEN'],
      ['RBM_AGENT_ID'],
    )
  ) {
    const serviceAccountKeyFile = str('RBM_SERVICE_ACCOUNT_KEY_FILE');
    const accessToken = str('RBM_ACCESS_TOKEN');
    if (!serviceAccountKeyFile && !accessToken)
      problems.push('RBM_SERVICE_ACCOUNT_KEY_FILE or RBM_ACCESS_TOKEN is required when RBM is configured');
    config.rbm = {
      agentId: str('RBM_AGENT_ID')!,
      serviceAccountKeyFile,
      accessToken,
      clientToken: str('RBM_CLIENT_TOKEN'),
      baseUrl: url('RBM_BASE_URL', 'https://rcsbusinessmessaging.googleapis.com')!,
    };
  }
  if (section('SMTP', ['SMTP_URL', 'EMAIL_FROM'], ['SMTP_URL', 'EMAIL_FROM'])) {
    config.smtp = { url: url('SMTP_URL', undefined, ['smtp:', 'smtps:'])!, from: str('EMAIL_FROM')! };
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
