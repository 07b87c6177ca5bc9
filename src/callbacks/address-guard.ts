import ipaddr from 'ipaddr.js';
import dns, { type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/**
 * SSRF guard for status callbacks: only public unicast addresses may be called back, unless
 * HERALD_ALLOW_PRIVATE_CALLBACKS=true. It is an allow-list (ipaddr.js's `unicast` range), so loopback, private
 * (RFC 1918), link-local, unique-local, CGNAT, multicast, unspecified, broadcast, reserved, documentation,
 * benchmarking, NAT64/6to4/Teredo (which embed an IPv4 address) and IPv4-compatible addresses are all refused;
 * IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it maps to.
 */

/** Cloud metadata services; they all lie in refused ranges too, and are named for a clearer reason. */
const METADATA = new Set(
  ['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192', 'fd00:ec2::254'].map((address) =>
    ipaddr.parse(address).toNormalizedString(),
  ),
);

const NAMES: Record<string, string> = {
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  carrierGradeNat: 'carrier-grade NAT',
  rfc6052: 'NAT64',
  rfc6145: 'IPv4-translated',
  ipv4Compatible: 'IPv4-compatible',
  deprecatedSiteLocal: 'site-local',
};

/** Why `address` may not be called back (e.g. "loopback"), or null for a public unicast address. */
export function refusedRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.process(address);
  if (METADATA.has(parsed.toNormalizedString())) return 'metadata';
  const range = parsed.range();
  if (range !== 'unicast') return NAMES[range] ?? range;
  // ::a.b.c.d (deprecated IPv4-compatible form): some stacks still route it to the IPv4 address.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0))
    return NAMES.ipv4Compatible;
  return null;
}

const ALLOW_HINT = 'refused unless HERALD_ALLOW_PRIVATE_CALLBACKS=true';

/**
 * What is wrong with a callback URL as given (PUT /v1/webhook-endpoint, a message's callbackUrl), or null. Without
 * DNS: literal IP addresses and `localhost` are judged here; names are judged after resolution, at send time.
 */
export function callbackUrlIssue(value: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with https:// (or http://)';
  if (allowPrivate) return null;
  // The WHATWG parser has already turned 2130706433, 0x7f.1 or 127.1 into 127.0.0.1.
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return `a loopback host is ${ALLOW_HINT}`;
  if (isIP(host)) {
    const range = refusedRange(host);
    if (range) return `a ${range} address is ${ALLOW_HINT}`;
  }
  return null;
}

/** The error a refused resolution gives the HTTP client (its `code` is recorded as the delivery's last error). */
export class AddressRefusedError extends Error {
  readonly code = 'ADDRESS_REFUSED';
  constructor(readonly range: string) {
    super(`the callback host resolves to a ${range} address, ${ALLOW_HINT}`);
    this.name = 'AddressRefusedError';
  }
}

type Resolve = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for the HTTP agents: resolves the name, keeps only allowed addresses, and hands those to the socket,
 * so the address checked is the address connected to (a second, rebinding answer is never asked for). Node calls
 * it with `all: true` when it races IPv4 and IPv6 (autoSelectFamily) and without otherwise.
 */
export function guardedLookup(resolve: Resolve = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((a) => refusedRange(a.address) === null);
      if (!allowed.length) {
        return callback(new AddressRefusedError(refusedRange(addresses[0]?.address ?? '') ?? 'unknown'), '', 0);
      }
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };
}
