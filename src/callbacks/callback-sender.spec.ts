import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { guardedLookup } from './address-guard.js';
import { CallbackSender } from './callback-sender.js';

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local receiver whose answer each test sets. */
describe(CallbackSender.name, () => {
  let server: http.Server;
  let port: number;
  const seen: Seen[] = [];
  let answer: (res: http.ServerResponse) => void = (res) => res.end('ok');
  const senders: CallbackSender[] = [];
  const sender = (allowPrivate: boolean, timeoutMs?: number) => {
    const made = new CallbackSender({ allowPrivate, timeoutMs });
    senders.push(made);
    return made;
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body });
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(() => {
    seen.length = 0;
    answer = (res) => res.end('ok');
    for (const made of senders.splice(0)) made.close();
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('should POST the exact body as JSON with the given headers, and call a 2xx delivered', async () => {
    const body = '{"id":"evt_1","type":"message.status","data":{"text":"ünïcode"}}';
    const outcome = await sender(true).post(`http://127.0.0.1:${port}/hook?x=1`, body, { 'Herald-Event-Id': 'evt_1' });
    expect(outcome).toEqual({ ok: true, statusCode: 200 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ path: '/hook?x=1', body });
    expect(seen[0].headers).toMatchObject({ 'content-type': 'application/json', 'herald-event-id': 'evt_1' });
  });

  it('should call anything but a 2xx a failed try, and not follow redirects', async () => {
    answer = (res) => res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
    expect(await sender(true).post(`http://127.0.0.1:${port}/hook`, '{}', {})).toEqual({
      ok: false,
      statusCode: 302,
      error: 'HTTP 302',
      permanent: false,
    });
    expect(seen.map((s) => s.path)).toEqual(['/hook']);
    answer = (res) => res.writeHead(500).end('boom');
    expect(await sender(true).post(`http://127.0.0.1:${port}/hook`, '{}', {})).toMatchObject({
      ok: false,
      statusCode: 500,
    });
  });

  it('should not wait for a large answer body', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      const write = (left: number): void => {
        if (left === 0 || res.destroyed) return void res.end();
        if (res.write(chunk)) setImmediate(() => write(left - 1));
        else res.once('drain', () => write(left - 1));
      };
      write(10_000);
    };
    const started = Date.now();
    expect(await sender(true).post(`http://127.0.0.1:${port}/big`, '{}', {})).toEqual({ ok: true, statusCode: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('should give up on a receiver that does not answer in time', async () => {
    answer = () => undefined;
    const outcome = await sender(true, 300).post(`http://127.0.0.1:${port}/slow`, '{}', {});
    expect(outcome).toEqual({ ok: false, statusCode: null, error: 'TIMEOUT', permanent: false });
  });

  it('should refuse literal loopback addresses and localhost before connecting', async () => {
    const guarded = sender(false);
    for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
      expect(await guarded.post(`http://${host}:${port}/hook`, '{}', {})).toEqual({
        ok: false,
        statusCode: null,
        error: 'ADDRESS_REFUSED',
        permanent: true,
      });
    }
    expect(seen).toHaveLength(0);
  });

  it('should connect to the address its lookup checked, so a name resolving to loopback is refused', async () => {
    const toLoopback: LookupAddress[] = [{ address: '127.0.0.1', family: 4 }];
    // A name that passes the URL check but resolves to loopback (say, DNS rebinding): the guard refuses it…
    const guarded = new CallbackSender(
      { allowPrivate: false },
      guardedLookup((_host, _options, callback) => callback(null, toLoopback)),
    );
    senders.push(guarded);
    expect(await guarded.post(`http://callbacks.example:${port}/hook`, '{}', {})).toEqual({
      ok: false,
      statusCode: null,
      error: 'ADDRESS_REFUSED',
      permanent: true,
    });
    expect(seen).toHaveLength(0);
    // …and the agent really connects where the lookup says (an unguarded lookup reaches the local receiver).
    const unguarded = new CallbackSender({ allowPrivate: false }, (_host, options, callback) =>
      options.all ? callback(null, toLoopback) : callback(null, '127.0.0.1', 4),
    );
    senders.push(unguarded);
    expect(await unguarded.post(`http://callbacks.example:${port}/hook`, '{}', {})).toEqual({
      ok: true,
      statusCode: 200,
    });
    expect(seen).toHaveLength(1);
  });

  it('should count a refused connection as a failed try to retry', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await sender(true).post(`http://127.0.0.1:${closedPort}/`, '{}', {})).toEqual({
      ok: false,
      statusCode: null,
      error: 'ECONNREFUSED',
      permanent: false,
    });
  });
});
