import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` (API §9), the scheme Stripe
 * uses: the timestamp is signed with the body, so a receiver can refuse replays older than a few minutes. The key
 * is the workspace's callback secret exactly as `GET /v1/webhook-endpoint` shows it (UTF-8, prefix included).
 */
export function signCallback(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * What a receiver does: true when one `v1` of the header matches the body and `t` is within `toleranceSeconds`
 * of `nowSeconds`. Herald's own tests use it; receivers in other languages follow the README.
 */
export function verifyCallback(
  secret: string,
  body: string,
  header: string,
  nowSeconds = Date.now() / 1000,
  toleranceSeconds = 300,
): boolean {
  const parts = header.split(',').map((part) => part.trim().split('='));
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signCallback(secret, body, t).slice(`t=${t},v1=`.length), 'hex');
  return parts
    .filter(([key, value]) => key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .some(([, value]) => timingSafeEqual(Buffer.from(value, 'hex'), expected));
}
