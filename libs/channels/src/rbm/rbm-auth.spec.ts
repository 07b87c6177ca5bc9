import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RBM_SCOPE, keyFileRbmTokenSource, rbmTokenSource, staticRbmTokenSource } from './rbm-auth.js';
import { RbmProvider } from './rbm.adapter.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const fromBase64Url = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString());

/** An OAuth2 token endpoint that checks the JWT-bearer grant the way Google's does, and a fake RBM API. */
class LocalGoogle {
  readonly grants: { grantType: string | null; header: unknown; claims: Record<string, unknown>; signed: boolean }[] =
    [];
  readonly rbmAuthorizations: (string | undefined)[] = [];
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/token') {
        const form = new URLSearchParams(body);
        const [header = '', claims = '', signature = ''] = (form.get('assertion') ?? '').split('.');
        const signed = createVerify('RSA-SHA256')
          .update(`${header}.${claims}`)
          .verify(publicKey, Buffer.from(signature, 'base64url'));
        this.grants.push({
          grantType: form.get('grant_type'),
          header: fromBase64Url(header),
          claims: fromBase64Url(claims) as Record<string, unknown>,
          signed,
        });
        res.writeHead(signed ? 200 : 400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            signed
              ? { access_token: 'ya29.local', expires_in: 3600, token_type: 'Bearer' }
              : { error: 'invalid_grant' },
          ),
        );
        return;
      }
      this.rbmAuthorizations.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('RBM token sources', () => {
  const google = new LocalGoogle();
  let dir: string;
  let keyFile: string;

  beforeAll(async () => {
    await google.start();
    dir = await mkdtemp(join(tmpdir(), 'herald-rbm-'));
  });
  afterAll(async () => {
    await google.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    google.grants.length = 0;
    google.rbmAuthorizations.length = 0;
    keyFile = join(dir, `key-${Date.now()}.json`);
    await writeFile(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        project_id: 'herald-test',
        private_key_id: 'kid-1',
        private_key: privateKey,
        client_email: 'rbm@herald-test.iam.gserviceaccount.com',
        token_uri: `${google.url}/token`,
      }),
    );
  });

  describe(keyFileRbmTokenSource.name, () => {
    it("should mint a token at the key's token_uri with a JWT-bearer grant signed by the key", async () => {
      const token = await keyFileRbmTokenSource(keyFile)();

      expect(token).toBe('ya29.local');
      expect(google.grants).toEqual([
        {
          grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          header: expect.objectContaining({ alg: 'RS256' }),
          claims: expect.objectContaining({
            iss: 'rbm@herald-test.iam.gserviceaccount.com',
            scope: RBM_SCOPE,
            aud: `${google.url}/token`,
          }),
          signed: true,
        },
      ]);
    });

    it('should cache the token until it nears expiry', async () => {
      const source = keyFileRbmTokenSource(keyFile);

      await source();
      await source();

      expect(google.grants).toHaveLength(1);
    });

    it('should reject when the key file is missing', async () => {
      await expect(keyFileRbmTokenSource(join(dir, 'missing.json'))()).rejects.toThrow(/ENOENT/);
    });

    it('should give RbmProvider a Bearer token minted from the key', async () => {
      const provider = new RbmProvider({ agentId: 'agent', baseUrl: google.url }, keyFileRbmTokenSource(keyFile));

      await provider.send({
        attemptId: 'att_0190f3a1b2c37d4e8f90a1b2c3d4e5f6',
        workspaceId: 'ws-1',
        channel: 'rcs',
        address: '+447700900123',
        content: { text: 'Hello World' },
      });

      expect(google.rbmAuthorizations).toEqual(['Bearer ya29.local', 'Bearer ya29.local']);
    });
  });

  describe(rbmTokenSource.name, () => {
    it('should prefer RBM_ACCESS_TOKEN over the key file', async () => {
      await expect(rbmTokenSource({ accessToken: 'static', keyFile })()).resolves.toBe('static');
      expect(google.grants).toEqual([]);
    });

    it('should use the key file without an access token', async () => {
      await expect(rbmTokenSource({ keyFile })()).resolves.toBe('ya29.local');
    });

    it('should refuse a configuration with neither', () => {
      expect(() => rbmTokenSource({})).toThrow(/RBM_ACCESS_TOKEN/);
      expect(() => staticRbmTokenSource('')).toThrow();
    });
  });
});
