import { readFile } from 'node:fs/promises';
import { JWT } from 'google-auth-library';
import type { RbmTokenSource } from './rbm.adapter.js';

export const RBM_SCOPE = 'https://www.googleapis.com/auth/rcsbusinessmessaging';
/** The endpoint google-auth-library posts to, whatever the key file says. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The fields of a Google service-account key file that minting a token needs. */
export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** A fixed token (RBM_ACCESS_TOKEN): for local fakes and short-lived manual tests. */
export function staticRbmTokenSource(token: string): RbmTokenSource {
  if (!token) throw new Error('RBM access token is empty');
  return () => Promise.resolve(token);
}

/**
 * Tokens minted from a service-account key, cached and refreshed by google-auth-library's JWT client.
 * That client always posts to Google's endpoint and signs for it, so a key whose `token_uri` says otherwise
 * (a local token server in tests, another universe) gets both the audience and the URL rewritten to it.
 */
export function serviceAccountRbmTokenSource(key: ServiceAccountKey): RbmTokenSource {
  if (!key.client_email || !key.private_key) throw new Error('Service-account key needs client_email and private_key');
  const tokenUri = key.token_uri ?? GOOGLE_TOKEN_URL;
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: [RBM_SCOPE],
    additionalClaims: tokenUri === GOOGLE_TOKEN_URL ? undefined : { aud: tokenUri },
  });
  if (tokenUri !== GOOGLE_TOKEN_URL) {
    client.transporter.interceptors.request.add({
      resolved: async (options) => {
        if (options.url.toString() === GOOGLE_TOKEN_URL) options.url = new URL(tokenUri);
        return options;
      },
    });
  }
  return async () => {
    const { token } = await client.getAccessToken();
    if (!token) throw new Error('The token endpoint returned no access token');
    return token;
  };
}

/** Reads the key file once, on first use, so a missing file shows up as an AUTH error on send. */
export function keyFileRbmTokenSource(keyFile: string): RbmTokenSource {
  let source: Promise<RbmTokenSource> | undefined;
  const load = async () =>
    serviceAccountRbmTokenSource(JSON.parse(await readFile(keyFile, 'utf8')) as ServiceAccountKey);
  return async () => {
    source ??= load();
    try {
      return await (
        await source
      )();
    } catch (reason) {
      // A key file fixed on disk is picked up on the next call.
      source = undefined;
      throw reason;
    }
  };
}

/** RBM_ACCESS_TOKEN wins when set (fakes, manual tests); otherwise the service-account key file. */
export function rbmTokenSource(config: { accessToken?: string; keyFile?: string }): RbmTokenSource {
  if (config.accessToken) return staticRbmTokenSource(config.accessToken);
  if (config.keyFile) return keyFileRbmTokenSource(config.keyFile);
  throw new Error('RBM needs RBM_ACCESS_TOKEN or a service-account key file');
}
