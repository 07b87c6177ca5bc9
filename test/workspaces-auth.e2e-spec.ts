import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { ADMIN_TOKEN, startHerald, type HttpAnswer, type TestHerald } from './support/herald.js';

function expectError(answer: HttpAnswer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  expect(answer.body.error).toMatchObject({
    message: expect.any(String),
    details: expect.any(Array),
    requestId: expect.any(String),
  });
}

/** API §2: admin-created workspaces, API keys stored hashed, revocation, and tenancy. */
describe('workspaces and API keys', () => {
  let herald: TestHerald;
  let db: pg.Client;

  beforeAll(async () => {
    herald = await startHerald();
    db = new pg.Client({ connectionString: herald.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await herald?.close();
  });

  const createWorkspace = (token?: string, name = 'Acme shop') =>
    herald.request('POST', '/v1/workspaces', { key: token, body: { name } });
  /** A cheap authenticated read: 200 with the key's workspace, 401 without a valid key. */
  const listMessages = (key: string) => herald.request('GET', '/v1/messages?limit=1', { key });

  it('should create a workspace and its first key with the admin token', async () => {
    const created = await createWorkspace(ADMIN_TOKEN);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'Acme shop', apiKey: expect.any(String) });
    expect((await listMessages(created.body.apiKey)).status).toBe(200);
  });

  it('should answer 401 without the admin token or with a wrong one', async () => {
    expectError(await createWorkspace(), 401, 'UNAUTHORIZED');
    expectError(await createWorkspace('not-the-admin-token'), 401, 'UNAUTHORIZED');
    expectError(
      await herald.request('POST', '/v1/workspaces', {
        body: { name: 'x' },
        headers: { authorization: `Basic ${ADMIN_TOKEN}` },
      }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('should not create a workspace with a workspace key', async () => {
    const { apiKey } = await herald.createWorkspace('not-admin');
    const answer = await createWorkspace(apiKey);
    expect([401, 403]).toContain(answer.status);
  });

  it('should refuse a workspace without a name', async () => {
    const answer = await herald.request('POST', '/v1/workspaces', { key: ADMIN_TOKEN, body: {} });
    expectError(answer, 400, 'VALIDATION_FAILED');
    expect(answer.body.error.details.map((d: { field: string }) => d.field)).toContain('name');
  });

  it('should issue a second working key for a workspace', async () => {
    const workspace = await herald.createWorkspace('two-keys');
    const issued = await herald.request('POST', `/v1/workspaces/${workspace.id}/keys`, { key: ADMIN_TOKEN });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ id: expect.any(String), apiKey: expect.any(String) });
    expect(issued.body.apiKey).not.toBe(workspace.apiKey);

    // Both keys see the same workspace: a contact written with one is read with the other.
    await herald.request('PUT', '/v1/contacts/shared-1', { key: workspace.apiKey, body: { phone: '+447700900150' } });
    const read = await herald.request('GET', '/v1/contacts/shared-1', { key: issued.body.apiKey });
    expect(read.status).toBe(200);
    expect(read.body.phone).toBe('+447700900150');
  });

  it('should answer 404 when issuing a key for an unknown workspace, and 401 without the admin token', async () => {
    expectError(await herald.request('POST', '/v1/workspaces/ws_unknown/keys', { key: ADMIN_TOKEN }), 404, 'NOT_FOUND');
    const workspace = await herald.createWorkspace('keys-need-admin');
    expectError(
      await herald.request('POST', `/v1/workspaces/${workspace.id}/keys`, { key: workspace.apiKey }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('should revoke a key at once, for a key of the same workspace', async () => {
    const workspace = await herald.createWorkspace('revoke');
    const second = (await herald.request('POST', `/v1/workspaces/${workspace.id}/keys`, { key: ADMIN_TOKEN })).body;
    expect((await listMessages(second.apiKey)).status).toBe(200); // now in the key cache

    const revoked = await herald.request('DELETE', `/v1/keys/${second.id}`, { key: workspace.apiKey });
    expect(revoked.status).toBe(204);
    expectError(await listMessages(second.apiKey), 401, 'UNAUTHORIZED');
    expect((await listMessages(workspace.apiKey)).status).toBe(200);
    // Revoking again is harmless; the row records when it happened.
    expect((await herald.request('DELETE', `/v1/keys/${second.id}`, { key: workspace.apiKey })).status).toBe(204);
    const row = await db.query(`SELECT revoked_at FROM api_keys WHERE id = $1 AND workspace_id = $2`, [
      second.id,
      workspace.id,
    ]);
    expect(row.rows[0].revoked_at).toBeInstanceOf(Date);
  });

  it('should let the admin revoke any key', async () => {
    const workspace = await herald.createWorkspace('admin-revokes');
    const second = (await herald.request('POST', `/v1/workspaces/${workspace.id}/keys`, { key: ADMIN_TOKEN })).body;
    expect((await herald.request('DELETE', `/v1/keys/${second.id}`, { key: ADMIN_TOKEN })).status).toBe(204);
    expectError(await listMessages(second.apiKey), 401, 'UNAUTHORIZED');
  });

  it("should answer 404 when a workspace key tries to revoke another workspace's key", async () => {
    const victim = await herald.createWorkspace('victim');
    const attacker = await herald.createWorkspace('attacker');
    const victimKey = (await herald.request('POST', `/v1/workspaces/${victim.id}/keys`, { key: ADMIN_TOKEN })).body;
    expectError(await herald.request('DELETE', `/v1/keys/${victimKey.id}`, { key: attacker.apiKey }), 404, 'NOT_FOUND');
    expect((await listMessages(victimKey.apiKey)).status).toBe(200);
    expectError(await herald.request('DELETE', '/v1/keys/key_unknown', { key: ADMIN_TOKEN }), 404, 'NOT_FOUND');
    expectError(await herald.request('DELETE', `/v1/keys/${victimKey.id}`), 401, 'UNAUTHORIZED');
  });

  it('should store keys hashed: no column holds the key', async () => {
    const workspace = await herald.createWorkspace('hashed');
    const second = (await herald.request('POST', `/v1/workspaces/${workspace.id}/keys`, { key: ADMIN_TOKEN })).body;
    const rows = (await db.query(`SELECT * FROM api_keys WHERE workspace_id = $1`, [workspace.id])).rows;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      for (const value of Object.values(row)) {
        for (const key of [workspace.apiKey, second.apiKey]) expect(String(value)).not.toContain(key);
      }
    }
    const everywhere = await db.query(
      `SELECT count(*) AS n FROM api_keys WHERE key_hash = $1 OR prefix = $1 OR id = $1`,
      [workspace.apiKey],
    );
    expect(Number(everywhere.rows[0].n)).toBe(0);
  });

  it('should answer 401 for a missing, malformed or unknown workspace key', async () => {
    expectError(await herald.request('GET', '/v1/messages'), 401, 'UNAUTHORIZED');
    expectError(
      await herald.request('GET', '/v1/messages', { headers: { authorization: 'Bearer' } }),
      401,
      'UNAUTHORIZED',
    );
    expectError(await listMessages('hk_this-key-does-not-exist'), 401, 'UNAUTHORIZED');
  });

  it('should not accept the admin token as a workspace key', async () => {
    expectError(await listMessages(ADMIN_TOKEN), 401, 'UNAUTHORIZED');
  });
});

describe('admin endpoints without HERALD_ADMIN_TOKEN', () => {
  let herald: TestHerald;

  beforeAll(async () => {
    herald = await startHerald({ HERALD_ADMIN_TOKEN: '' });
  });
  afterAll(() => herald?.close());

  it('should answer 403 for workspace creation, whatever token is sent', async () => {
    expectError(
      await herald.request('POST', '/v1/workspaces', { key: ADMIN_TOKEN, body: { name: 'x' } }),
      403,
      'FORBIDDEN',
    );
    expectError(await herald.request('POST', '/v1/workspaces', { body: { name: 'x' } }), 403, 'FORBIDDEN');
  });

  it('should answer 403 for issuing keys', async () => {
    expectError(await herald.request('POST', '/v1/workspaces/ws_any/keys', { key: ADMIN_TOKEN }), 403, 'FORBIDDEN');
  });
});
