import type { ChannelError, ChannelErrorKind } from '../channel.port.js';

/**
 * Viber answers `send_message` with HTTP 200 and a `status` (viber-status-codes.json); this maps each
 * status to Herald's error vocabulary. Viber's number is kept as `code`.
 */
interface Classification {
  kind: ChannelErrorKind;
  permanent: boolean;
}

const notReachable: Classification = { kind: 'NOT_REACHABLE', permanent: true };
const rejected: Classification = { kind: 'CONTENT_REJECTED', permanent: true };
const rateLimited: Classification = { kind: 'RATE_LIMITED', permanent: false };
/**
 * Account-level failures (bad token, account blocked, suspended, not found, not authorised, no webhook
 * set) say nothing about this message or recipient: they are fixed by an operator (rotating the token,
 * setting the webhook, Viber lifting a block), and a brief auth glitch on Viber's side looks the same.
 * Temporary, so queued messages survive the fix; retries are bounded and the cascade falls back after them.
 */
const accountProblem: Classification = { kind: 'AUTH', permanent: false };

const BY_STATUS: Record<number, Classification> = {
  1: rejected, // invalidUrl: a URL in the message (e.g. the picture's media) is not valid
  2: accountProblem, // invalidAuthToken
  3: rejected, // badData
  4: rejected, // missingData
  5: notReachable, // receiverNotRegistered: not a Viber user
  6: notReachable, // receiverNotSubscribed
  7: accountProblem, // publicAccountBlocked
  8: accountProblem, // publicAccountNotFound
  9: accountProblem, // publicAccountSuspended
  10: accountProblem, // webhookNotSet: Viber refuses to send until the bot has a webhook
  11: notReachable, // receiverNoSuitableDevice
  12: rateLimited, // tooManyRequests (e.g. 100 messages/user/hour without a reply)
  13: rejected, // apiVersionNotSupported: our min_api_version
  14: notReachable, // incompatibleWithVersion: the receiver's client is too old for this message
  15: accountProblem, // publicAccountNotAuthorized
  17: rejected, // unsupportedMessageType
  18: rateLimited, // messageRateExceeded
  20: rejected, // unsupportedMedia
};

/** Unknown or unexpected statuses (16, 19, future ones): Viber did not take the message, so a bounded retry is safe. */
const unknown: Classification = { kind: 'UNKNOWN', permanent: false };

export function classifyViberStatus(status: number, statusMessage: string | undefined): ChannelError {
  const { kind, permanent } = BY_STATUS[status] ?? unknown;
  return { kind, code: String(status), message: statusMessage || `Viber status ${status}`, permanent };
}

/**
 * A `failed` callback follows a message Viber accepted (status 0) that the receiver's client refused; no
 * delivered/seen follows. It carries only a free-text `desc` ("message validation failed"), so the kind is
 * read from the words; it is final either way.
 */
export function classifyViberFailure(desc: string | undefined): ChannelError {
  const message = desc || 'Viber reported the message failed';
  const kind: ChannelErrorKind = /not (subscribed|registered|a viber user)|unsubscribed|no suitable device/i.test(
    message,
  )
    ? 'NOT_REACHABLE'
    : 'CONTENT_REJECTED';
  return { kind, code: 'failed', message, permanent: true };
}
