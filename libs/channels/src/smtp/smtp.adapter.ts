import nodemailer from 'nodemailer';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import {
  ChannelSendError,
  type ChannelError,
  type ChannelProvider,
  type SendRequest,
  type SendResult,
} from '../channel.port.js';
import { classifySmtpStatus, enhancedStatus } from './smtp-status.js';

export const SMTP_PROVIDER = 'smtp';

export interface SmtpConfig {
  /** SMTP_URL, e.g. `smtp://user:pass@mail.example:587` or `smtps://…:465`. */
  url: string;
  /** EMAIL_FROM, e.g. `Herald <no-reply@example.com>`. */
  from: string;
  /** Extra nodemailer pool options (timeouts, `ignoreTLS` for a local test server, `maxConnections`…). */
  transport?: Omit<SMTPPoolOptions, 'pool' | 'url'>;
}

/** Herald's Message-ID for an attempt; a bounce's returned headers carry it back to the attempt. */
export const heraldMessageId = (attemptId: string): string => `<${attemptId}@herald>`;

const TRANSPORT_DEFAULTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 };
// Nothing reached a server, or the connection broke: the same message can go again later.
const CONNECTION_ERRORS = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET']);

interface NodemailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

interface SentInfo {
  messageId: string;
  response: string;
  accepted: unknown[];
  rejected: unknown[];
}

/** Email over SMTP through one pooled nodemailer transport; bounces come back later as DSNs (see dsn.ts). */
export class SmtpProvider implements ChannelProvider {
  readonly name = SMTP_PROVIDER;
  readonly channel = 'email' as const;
  private readonly transporter;

  constructor(private readonly config: SmtpConfig) {
    this.transporter = nodemailer.createTransport({
      ...TRANSPORT_DEFAULTS,
      ...config.transport,
      url: config.url,
      pool: true,
    });
  }

  async send(request: SendRequest): Promise<SendResult> {
    const { subject, text, html } = request.content;
    if (!text && !html) {
      throw new ChannelSendError({
        kind: 'CONTENT_REJECTED',
        code: 'EMPTY_CONTENT',
        message: 'An email needs text or html',
        permanent: true,
      });
    }
    let info: SentInfo;
    try {
      info = (await this.transporter.sendMail({
        from: this.config.from,
        to: request.address,
        subject: subject ?? '',
        text,
        html,
        messageId: heraldMessageId(request.attemptId),
        // Sent only when the server announces DSN. ENVID comes back in the bounce as Original-Envelope-Id,
        // a second way to find the attempt when the returned headers are cut off.
        // SUCCESS too: a server that supports DSN then confirms delivery, which Herald records as "delivered".
        dsn: {
          id: request.attemptId,
          return: 'headers',
          notify: ['success', 'failure', 'delay'],
          recipient: request.address,
        },
      })) as SentInfo;
    } catch (reason) {
      throw new ChannelSendError(classifySmtpError(reason));
    }
    if (info.accepted.length === 0) {
      throw new ChannelSendError({
        kind: 'NOT_REACHABLE',
        code: 'ALL_RECIPIENTS_REJECTED',
        message: `The server accepted no recipient: ${info.response}`,
        permanent: true,
      });
    }
    // The server took responsibility for the message: `sent`. Delivery is only known from a later DSN.
    return {
      providerMessageId: info.messageId,
      status: 'sent',
      raw: { response: info.response, accepted: info.accepted, rejected: info.rejected },
    };
  }

  /** Closes the pooled connections (application shutdown). */
  close(): void {
    this.transporter.close();
  }
}

/** Classifies a nodemailer failure into Herald's error vocabulary. */
export function classifySmtpError(reason: unknown): ChannelError {
  const error = (typeof reason === 'object' && reason !== null ? reason : {}) as NodemailerError;
  const message = error.message ?? String(reason);
  const status = enhancedStatus(error.response);
  const replyCode = error.responseCode;
  const code = status ?? (replyCode ? String(replyCode) : (error.code ?? 'UNKNOWN'));

  // Our credentials were refused (535) or are needed (530): ours to fix, and the message can go once fixed.
  if (error.code === 'EAUTH' || replyCode === 530 || replyCode === 535)
    return { kind: 'AUTH', code, message, permanent: false };
  if (replyCode !== undefined && replyCode >= 400 && replyCode < 500)
    return { kind: 'TEMPORARY', code, message, permanent: false };
  if (replyCode !== undefined && replyCode >= 500) {
    // 554 after DATA without a finer status: the receiver refused this content.
    const kind =
      !status && replyCode === 554 && error.command === 'DATA'
        ? 'CONTENT_REJECTED'
        : classifySmtpStatus(status, replyCode);
    return { kind, code, message, permanent: true };
  }
  if (error.code && CONNECTION_ERRORS.has(error.code)) return { kind: 'TEMPORARY', code, message, permanent: false };
  // Every recipient refused without a reply code we could read.
  if (error.code === 'EENVELOPE') return { kind: 'NOT_REACHABLE', code, message, permanent: true };
  return { kind: 'UNKNOWN', code, message, permanent: false };
}
