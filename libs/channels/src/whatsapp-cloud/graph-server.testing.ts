import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the local Graph API stand-in received it. */
export interface GraphRequest {
  method: string;
  /** The request target as sent (path and query). */
  path: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: any;
}

export type GraphReply = (res: ServerResponse) => void;

export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): GraphReply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

/** A local HTTP server standing in for Meta's Graph API; the spec decides each answer. */
export async function startGraphServer(
  answer: (request: GraphRequest, res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      answer(
        {
          method: req.method ?? '',
          path,
          url: new URL(path, 'http://graph.test'),
          headers: req.headers,
          body: text ? JSON.parse(text) : null,
        },
        res,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A local port nothing listens on (a server opened and closed again), for connection-refused cases. */
export async function closedPort(): Promise<number> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  return port;
}
