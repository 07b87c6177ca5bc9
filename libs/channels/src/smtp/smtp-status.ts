import type { ChannelErrorKind } from '../channel.port.js';

/** The RFC 3463 enhanced status code in an SMTP reply (`550 5.1.1 No such user` → `5.1.1`). */
export function enhancedStatus(reply: string | undefined): string | undefined {
  return reply?.match(/^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/)?.[1];
}

/**
 * What an RFC 3463 status (`class.subject.detail`) or, without one, a basic SMTP reply code says about the
 * recipient. Class 4 is worth another try; class 5 is final.
 */
export function classifySmtpStatus(status: string | undefined, replyCode?: number): ChannelErrorKind {
  if (status?.startsWith('4') || (!status && replyCode !== undefined && replyCode < 500)) return 'TEMPORARY';
  const [, subject, detail] = status?.split('.') ?? [];
  // x.1.1 bad mailbox, x.1.2 bad domain, x.1.3 bad syntax, x.1.10 null MX: the address itself is wrong.
  if (subject === '1' && ['0', '1', '2', '3', '10'].includes(detail ?? '')) return 'INVALID_ADDRESS';
  // x.7.x is policy: spam, blocked content or sender. x.6.x: content the receiver cannot take.
  if (subject === '7' || subject === '6') return 'CONTENT_REJECTED';
  if (subject) return 'NOT_REACHABLE';
  // 553 mailbox name not allowed, 501 syntax error in the address.
  if (replyCode === 553 || replyCode === 501) return 'INVALID_ADDRESS';
  return 'NOT_REACHABLE';
}
