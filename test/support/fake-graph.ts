import { createHmac } from 'node:crypto';
import http from 'node:http';

export interface GraphRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: unknown[];
}

/**
 * A local stand-in for Meta's Graph API, speaking the wire format of the fixtures: template create / list (with
 * cursor paging) / delete on `/{version}/{WABA_ID}/message_templates`, and sends on `/{version}/{PHONE_ID}/messages`.
 * Templates live in memory so a test can change one "at Meta" without a webhook, as Meta's UI would.
 */
export async function fakeGraph(options: { token: string; wabaId: string; phoneNumberId: string; pageSize?: number }) {
  const seen: GraphRequest[] = [];
  const templates: FakeTemplate[] = [];
  let nextId = 1689556908129000;
  let listsInFlight = 0;
  let maxListsInFlight = 0;
  const state = {
    /** Answer for the next create, instead of accepting it. */
    refuseNext: null as null | { status: number; body: unknown },
    /** Delay for list pages, to make overlapping syncs visible. */
    listDelayMs: 0,
  };
  const pageSize = options.pageSize ?? 2;

  const answer = async (req: GraphRequest): Promise<{ status: number; body: unknown }> => {
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return {
        status: 401,
        body: { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } },
      };
    }
    const templatesPath = `/v23.0/${options.wabaId}/message_templates`;
    if (req.path === templatesPath && req.method === 'POST') {
      if (state.refuseNext) {
        const refusal = state.refuseNext;
        state.refuseNext = null;
        return refusal;
      }
      const body = JSON.parse(req.body) as { name: string; language: string; category: string; components: unknown[] };
      const template: FakeTemplate = {
        id: String(nextId++),
        name: body.name,
        language: body.language,
        status: 'PENDING',
        category: body.category,
        components: body.components,
      };
      templates.push(template);
      return { status: 200, body: { id: template.id, status: template.status, category: template.category } };
    }
    if (req.path === templatesPath && req.method === 'GET') {
      listsInFlight += 1;
      maxListsInFlight = Math.max(maxListsInFlight, listsInFlight);
      try {
        if (state.listDelayMs) await new Promise((resolve) => setTimeout(resolve, state.listDelayMs));
        const start = Number(req.query.get('after') ?? '0');
        const page = templates.slice(start, start + pageSize);
        const more = start + pageSize < templates.length;
        const cursor = String(start + pageSize);
        return {
          status: 200,
          body: {
            data: page,
            paging: {
              cursors: { before: String(start), after: cursor },
              ...(more ? { next: `https://graph.facebook.com${templatesPath}?after=${cursor}` } : {}),
            },
          },
        };
      } finally {
        listsInFlight -= 1;
      }
    }
    if (req.path === templatesPath && req.method === 'DELETE') {
      const index = templates.findIndex((t) => t.name === req.query.get('name'));
      if (index >= 0) templates.splice(index, 1);
      return { status: 200, body: { success: true } };
    }
    if (req.path === `/v23.0/${options.phoneNumberId}/messages` && req.method === 'POST') {
      const to = (JSON.parse(req.body) as { to: string }).to;
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: to, wa_id: to }],
          messages: [{ id: `wamid.${to}.${seen.length}` }],
        },
      };
    }
    return { status: 404, body: { error: { message: 'Unknown path', code: 100 } } };
  };

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const request = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      seen.push(request);
      void answer(request).then((reply) =>
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    templates,
    state,
    maxListsInFlight: () => maxListsInFlight,
    /** The id the next created template will get. */
    nextTemplateId: () => String(nextId),
    sends: () => seen.filter((r) => r.path.endsWith('/messages')).map((r) => JSON.parse(r.body) as Record<string, any>),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A WhatsApp Business Account notification with one change, and its X-Hub-Signature-256. */
export function signedNotification(
  appSecret: string,
  wabaId: string,
  field: string,
  value: Record<string, unknown>,
  time = Math.floor(Date.now() / 1000),
): { rawBody: string; headers: Record<string, string> } {
  const rawBody = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: wabaId, time, changes: [{ value, field }] }],
  });
  const signature = `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
  return { rawBody, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } };
}
