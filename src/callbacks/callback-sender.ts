import axios, { type AxiosInstance } from 'axios';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { callbackUrlIssue, guardedLookup } from './address-guard.js';

/** A receiver has this long to answer (connection, headers and the part of the body that is read). */
export const SEND_TIMEOUT_MS = 10_000;
/** The answer's body means nothing to Herald; at most this much is read (so the connection can be reused). */
const BODY_CAP = 16 * 1024;

export type SendOutcome =
  | { ok: true; statusCode: number }
  /** `permanent`: retrying cannot help (the address is refused), so the callback fails at once. */
  | { ok: false; statusCode: number | null; error: string; permanent: boolean };

/**
 * POSTs signed callbacks. Redirects are not followed (a 3xx is a failed try, like any non-2xx), proxies from the
 * environment are ignored, and unless private targets are allowed every connection goes through the guarded
 * `lookup`, so a name that resolves (or re-resolves) to a private address is refused before connecting.
 */
export class CallbackSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly client: AxiosInstance;

  constructor(
    private readonly options: { allowPrivate: boolean; timeoutMs?: number },
    lookup = guardedLookup(),
  ) {
    const agentOptions = { keepAlive: true, maxSockets: 64, ...(options.allowPrivate ? {} : { lookup }) };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.client = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      proxy: false,
      maxRedirects: 0,
      decompress: false,
      responseType: 'stream',
      validateStatus: () => true,
      timeout: options.timeoutMs ?? SEND_TIMEOUT_MS,
    });
  }

  async post(url: string, body: string, headers: Record<string, string>): Promise<SendOutcome> {
    // A literal IP never reaches `lookup`: check it here.
    if (callbackUrlIssue(url, this.options.allowPrivate) !== null)
      return { ok: false, statusCode: null, error: 'ADDRESS_REFUSED', permanent: true };
    const timeoutMs = this.options.timeoutMs ?? SEND_TIMEOUT_MS;
    try {
      const response = await this.client.post<Readable>(url, Buffer.from(body, 'utf8'), {
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'Herald-Callbacks/1', ...headers },
        signal: AbortSignal.timeout(timeoutMs),
      });
      await drain(response.data, BODY_CAP, timeoutMs);
      const statusCode = response.status;
      if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode };
      return { ok: false, statusCode, error: `HTTP ${statusCode}`, permanent: false };
    } catch (caught) {
      const code = (caught as { code?: unknown; cause?: { code?: unknown } }).code;
      const cause = (caught as { cause?: { code?: unknown } }).cause?.code;
      const error = [code, cause].includes('ADDRESS_REFUSED')
        ? 'ADDRESS_REFUSED'
        : ['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED'].includes(String(code))
          ? 'TIMEOUT'
          : typeof code === 'string' && /^[A-Z_]+$/.test(code)
            ? code
            : 'REQUEST_FAILED';
      return { ok: false, statusCode: null, error, permanent: error === 'ADDRESS_REFUSED' };
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Reads and drops up to `cap` bytes of an answer, then lets the socket go. */
function drain(stream: Readable, cap: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let read = 0;
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      stream.destroy();
      done();
    }, timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > cap) {
        stream.destroy();
        done();
      }
    });
    stream.once('end', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}
