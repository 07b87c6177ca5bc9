import { describe, expect, it } from '@jest/globals';
import type { LookupAddress } from 'node:dns';
import { callbackUrlIssue, guardedLookup, refusedRange } from './address-guard.js';

describe(refusedRange.name, () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['100.100.100.200', 'metadata'],
    ['192.0.0.192', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.1', 'reserved'],
    ['203.0.113.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
  ])('should refuse IPv4 %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['2002:7f00:1::', '6to4'],
    ['2001::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
    ['::7f00:1', 'IPv4-compatible'],
    ['::a00:1', 'IPv4-compatible'],
  ])('should refuse IPv6 %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:100.64.0.1', 'carrier-grade NAT'],
    ['::ffff:0.0.0.0', 'unspecified'],
  ])('should judge IPv4-mapped %s as the IPv4 address (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '11.0.0.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
  ])('should allow the public address %s', (address) => {
    expect(refusedRange(address)).toBeNull();
  });

  it('should refuse what is not an address', () => {
    expect(refusedRange('example.com')).toBe('invalid');
  });
});

describe(callbackUrlIssue.name, () => {
  it.each([
    ['http://127.0.0.1:8080/hook', /loopback address/],
    ['http://localhost:3000/hook', /loopback host/],
    ['http://LOCALHOST./hook', /loopback host/],
    ['http://api.localhost/hook', /loopback host/],
    ['http://[::1]:3000/', /loopback address/],
    ['http://[::ffff:127.0.0.1]/', /loopback address/],
    ['http://2130706433/', /loopback address/],
    ['http://0x7f.1/', /loopback address/],
    ['http://10.1.2.3/', /private address/],
    ['https://169.254.169.254/latest/meta-data/', /metadata address/],
    ['http://[fd00:ec2::254]/', /metadata address/],
    ['http://0.0.0.0:80/', /unspecified address/],
  ])('should refuse %s', (url, issue) => {
    expect(callbackUrlIssue(url, false)).toMatch(issue);
    expect(callbackUrlIssue(url, false)).toMatch(/HERALD_ALLOW_PRIVATE_CALLBACKS=true/);
  });

  it('should refuse what is not an http(s) URL, allowed private or not', () => {
    for (const allow of [false, true]) {
      expect(callbackUrlIssue('ftp://example.com/x', allow)).toMatch(/https:\/\//);
      expect(callbackUrlIssue('file:///etc/passwd', allow)).toMatch(/https:\/\//);
      expect(callbackUrlIssue('example.com/hook', allow)).toBe('not an absolute URL');
    }
  });

  it('should accept public addresses and names (names are checked again after resolution)', () => {
    expect(callbackUrlIssue('https://client.example/herald-status', false)).toBeNull();
    expect(callbackUrlIssue('http://8.8.8.8:8080/x', false)).toBeNull();
    expect(callbackUrlIssue('https://[2606:4700:4700::1111]/x', false)).toBeNull();
  });

  it('should accept private targets when HERALD_ALLOW_PRIVATE_CALLBACKS=true', () => {
    expect(callbackUrlIssue('http://127.0.0.1:8080/hook', true)).toBeNull();
    expect(callbackUrlIssue('http://localhost/hook', true)).toBeNull();
  });
});

describe(guardedLookup.name, () => {
  type Answer = { error: Error | null; address?: string | LookupAddress[]; family?: number };
  const run = (addresses: LookupAddress[] | Error, all: boolean): Promise<Answer> => {
    const lookup = guardedLookup((_host, _options, callback) =>
      addresses instanceof Error ? callback(addresses, []) : callback(null, addresses),
    );
    return new Promise((resolve) =>
      lookup('callbacks.example', { all }, (error, address, family) => resolve({ error, address, family })),
    );
  };

  it('should refuse a name that resolves only to private addresses', async () => {
    const answer = await run(
      [
        { address: '10.0.0.5', family: 4 },
        { address: 'fd00::5', family: 6 },
      ],
      false,
    );
    expect(answer.error).toMatchObject({ code: 'ADDRESS_REFUSED', message: expect.stringMatching(/private/) });
  });

  it('should hand the socket only the public addresses of a mixed answer', async () => {
    const mixed: LookupAddress[] = [
      { address: '127.0.0.1', family: 4 },
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ];
    expect(await run(mixed, false)).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await run(mixed, true)).toEqual({
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
      family: undefined,
    });
  });

  it('should pass resolution errors on', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    expect((await run(notFound, false)).error).toBe(notFound);
  });

  it('should refuse localhost with the system resolver', async () => {
    const lookup = guardedLookup();
    const error = await new Promise((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(error).toMatchObject({ code: 'ADDRESS_REFUSED' });
  });
});
