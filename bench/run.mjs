// npm run bench — Herald's throughput against a baseline measured in the same run, on the same database.
//
//   baseline   a bare node:http server doing one INSERT of the same message row per request
//   single     POST /v1/messages (Herald, role api)
//   batch      POST /v1/messages/batch with 100 messages per request
//   dispatch   accepted → submitted to the sandbox: a backlog drained by one worker process
//   events     POST /v1/events with 100 events per request (10,000 contacts, created on first sight)
//   evaluate   the trigger engine on that backlog: events evaluated against the workspace's rules by one worker
//              (a count rule that matches every event, an absence rule and ten rules on other event names)
//
// DATABASE_URL picks the server; without it an embedded PostgreSQL is started in a temporary directory.
// BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 64) tune the HTTP runs; BENCH_BACKLOG (default 20000)
// the dispatch run.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startEmbeddedPostgres } from '../dist/src/database/embedded-postgres.js';
import { ensureDatabase } from '../dist/src/database/ensure-database.js';
import { migrate } from '../dist/src/database/migrate.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 20000);
const ADMIN = 'bench-admin-token';
const KANNEL_SENDSMS_PER_SECOND = 3500; // measured on this kind of machine (see issue 2)

const body = (i) => ({
  to: { phone: `+4477009${String(10000 + (i % 80000)).padStart(5, '0')}` },
  channels: ['whatsapp', 'sms'],
  content: { text: 'Hi {{name}}, your order {{order}} has shipped' },
  variables: { name: 'Ana', order: `A-${i}` },
  fallback: { after: '60s' },
  reference: 'bench',
});

const log = (line) => process.stdout.write(`${line}\n`);

async function database() {
  if (process.env.DATABASE_URL) {
    await ensureDatabase(process.env.DATABASE_URL);
    return { url: process.env.DATABASE_URL, stop: async () => {} };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-bench-pg-'));
  log(`DATABASE_URL not set: embedded PostgreSQL in ${dir}`);
  return startEmbeddedPostgres(dir);
}

function startHerald(url, role, port, extra = {}) {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      HERALD_ROLE: role,
      PORT: String(port),
      HERALD_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'warn',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.resume();
  return child;
}

/** A workspace on the Herald at `port`, and the headers that use its key. */
async function workspace(port, name) {
  const answer = await fetch(`http://127.0.0.1:${port}/v1/workspaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const ws = await answer.json();
  return { ws, headers: { authorization: `Bearer ${ws.apiKey}`, 'content-type': 'application/json' } };
}

async function waitForHttp(port) {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered on port ${port}`);
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: SECONDS, pipelining: 1, ...opts }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

function summary(name, result, perRequest = 1) {
  const ok = result['2xx'];
  const rate = (ok * perRequest) / (result.duration || SECONDS);
  return {
    name,
    msgPerSecond: rate,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
  };
}

/** The baseline: parse the JSON, one INSERT of the same row, answer 202. Nothing else. */
async function baseline(url, workspaceId) {
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  let n = 0;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', async () => {
      try {
        const m = JSON.parse(data);
        const id = `msg_bench${process.pid}${++n}`;
        await pool.query(
          `INSERT INTO messages (id, workspace_id, status, channels, recipient, content, success_on, fallback_after_ms, valid_until, reference, due_at)
           VALUES ($1, $2, 'accepted', $3, $4, $5, 'delivered', 60000, now() + interval '1 day', $6, NULL)`,
          [
            id,
            workspaceId,
            m.channels,
            JSON.stringify(m.to),
            JSON.stringify({ sms: { text: m.content.text } }),
            m.reference,
          ],
        );
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id, status: 'accepted' }));
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const result = await cannon({
    url: `http://127.0.0.1:${port}/`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body(1)),
  });
  await new Promise((r) => server.close(r));
  await pool.end();
  return summary('baseline: node:http + 1 INSERT/request', result);
}

const eventBody = (k) => ({
  contactId: `bench-${k % 10000}`,
  event: 'page_view',
  properties: { path: '/pricing', ref: `r-${k}` },
});

/** Events in through the API (role api), then evaluated by one worker process from the backlog. */
async function triggersBench(url, client, children) {
  const port = await freePort();
  const api = startHerald(url, 'api', port);
  children.push(api);
  await waitForHttp(port);
  const { ws, headers } = await workspace(port, 'bench-triggers');
  const sms = { channels: ['sms'], content: { text: 'hi' } };
  const rules = [
    {
      name: 'pricing interest',
      when: { event: 'page_view' },
      count: { atLeast: 3, within: '1h' },
      delay: '1h',
      send: sms,
    },
    {
      name: 'cart',
      when: { event: 'checkout_started' },
      unless: { event: 'order_completed', within: '2h', matchOn: 'properties.cartId' },
      send: sms,
    },
    ...Array.from({ length: 10 }, (_, k) => ({ name: `other ${k}`, when: { event: `other_${k}` }, send: sms })),
  ];
  for (const rule of rules) {
    const answer = await fetch(`http://127.0.0.1:${port}/v1/triggers`, {
      method: 'POST',
      headers,
      body: JSON.stringify(rule),
    });
    if (answer.status !== 201) throw new Error(`trigger: ${answer.status} ${await answer.text()}`);
  }
  let k = 0;
  const events = summary(
    'herald: POST /v1/events (100/request)',
    await cannon({
      url: `http://127.0.0.1:${port}/v1/events`,
      method: 'POST',
      headers,
      connections: Math.max(4, CONNECTIONS / 8),
      requests: [
        {
          setupRequest: (r) => ({
            ...r,
            body: JSON.stringify({ events: Array.from({ length: 100 }, () => eventBody(k++)) }),
          }),
        },
      ],
    }),
    100,
  );
  await stop(api);
  const backlog = Number(
    (await client.query(`SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND processed_at IS NULL`, [ws.id]))
      .rows[0].n,
  );
  const started = Date.now();
  const worker = startHerald(url, 'worker', 3001);
  children.push(worker);
  let left = backlog;
  while (left > 0 && Date.now() < started + 300_000) {
    await new Promise((r) => setTimeout(r, 200));
    left = Number(
      (await client.query(`SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND processed_at IS NULL`, [ws.id]))
        .rows[0].n,
    );
  }
  const seconds = (Date.now() - started) / 1000;
  await stop(worker);
  const firings = Number(
    (await client.query(`SELECT count(*) AS n FROM firings WHERE workspace_id = $1`, [ws.id])).rows[0].n,
  );
  log(`evaluate: ${backlog - left} events, ${firings} firings created (count rule, due in 1h)`);
  return [
    events,
    {
      name: `evaluate: backlog of ${backlog} events → rules (1 worker)`,
      msgPerSecond: (backlog - left) / seconds,
      p50: NaN,
      p99: NaN,
      non2xx: left,
    },
  ];
}

async function main() {
  const db = await database();
  const children = [];
  process.on('SIGINT', () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });
  try {
    await migrate(db.url);
    const port = await freePort();
    const api = startHerald(db.url, 'api', port);
    children.push(api);
    await waitForHttp(port);
    const { ws, headers } = await workspace(port, 'bench');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();

    log(`\nHerald bench — ${SECONDS}s per HTTP run, ${CONNECTIONS} connections, node ${process.version}\n`);
    const base = await baseline(db.url, ws.id);

    let i = 0;
    const single = summary(
      'herald: POST /v1/messages',
      await cannon({
        url: `http://127.0.0.1:${port}/v1/messages`,
        method: 'POST',
        headers,
        requests: [{ setupRequest: (r) => ({ ...r, body: JSON.stringify(body(i++)) }) }],
      }),
    );
    const batchBody = JSON.stringify({ messages: Array.from({ length: 100 }, (_, k) => body(k)) });
    const batch = summary(
      'herald: POST /v1/messages/batch (100/request)',
      await cannon({
        url: `http://127.0.0.1:${port}/v1/messages/batch`,
        method: 'POST',
        headers,
        body: batchBody,
        connections: Math.max(4, CONNECTIONS / 8),
      }),
      100,
    );
    // Everything accepted so far stays due: stop the API so the dispatch run measures a worker alone.
    await stop(api);

    const due = Number(
      (await client.query(`SELECT count(*) AS n FROM messages WHERE workspace_id = $1 AND due_at IS NOT NULL`, [ws.id]))
        .rows[0].n,
    );
    const backlog = Math.min(due, BACKLOG);
    // Keep exactly `backlog` messages due so the run has a known size.
    await client.query(
      `UPDATE messages SET due_at = NULL WHERE workspace_id = $1 AND id NOT IN (SELECT id FROM messages WHERE workspace_id = $1 AND due_at IS NOT NULL ORDER BY id LIMIT $2)`,
      [ws.id, backlog],
    );
    const started = Date.now();
    const worker = startHerald(db.url, 'worker', 3000);
    children.push(worker);
    let submitted = 0;
    const deadline = started + 300_000;
    while (Date.now() < deadline) {
      submitted = Number(
        (
          await client.query(
            `SELECT count(DISTINCT message_id) AS n FROM attempts WHERE workspace_id = $1 AND submitted_at >= to_timestamp($2 / 1000.0)`,
            [ws.id, started],
          )
        ).rows[0].n,
      );
      if (submitted >= backlog) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (Date.now() - started) / 1000;
    const lat = (
      await client.query(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY d) AS p99
      FROM (SELECT extract(epoch FROM a.submitted_at - a.created_at) * 1000 AS d FROM attempts a WHERE a.workspace_id = $1 AND a.submitted_at >= to_timestamp($2 / 1000.0)) t`,
        [ws.id, started],
      )
    ).rows[0];
    await stop(worker);
    const dispatch = {
      name: `dispatch: backlog of ${backlog} → submitted (1 worker)`,
      msgPerSecond: submitted / seconds,
      p50: Number(lat.p50),
      p99: Number(lat.p99),
      non2xx: backlog - submitted,
    };

    const triggerRuns = await triggersBench(db.url, client, children);
    await client.end();

    const rows = [base, single, batch, dispatch, ...triggerRuns];
    log('| run | msg/s | p50 ms | p99 ms | errors | ratio to baseline |');
    log('|---|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      log(
        `| ${r.name} | ${r.msgPerSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.non2xx} | ${(r.msgPerSecond / base.msgPerSecond).toFixed(2)}x |`,
      );
    }
    log(
      `\nreference: Kannel sendsms ≈ ${KANNEL_SENDSMS_PER_SECOND}/s on this kind of machine; single-send ratio to it ${(single.msgPerSecond / KANNEL_SENDSMS_PER_SECOND).toFixed(2)}x`,
    );
    log('(dispatch latency = attempt created → submitted; attempts are created when a worker claims the message)');
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await db.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
