import { createParamDecorator, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HeraldConfig } from '../config/config.js';
import { HERALD_CONFIG } from '../config/config.module.js';
import { HeraldError } from '../common/herald-error.js';
import { ApiKeysService } from './api-keys.service.js';

export interface AuthContext {
  workspaceId: string | null;
  keyId: string | null;
  admin: boolean;
}

type AuthedRequest = FastifyRequest & { auth?: AuthContext };

export function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/** Constant-time comparison that does not leak the secret's length either: both sides are hashed first. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/** Every /v1 route: a valid, unrevoked workspace key. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearer(request);
    if (!token) throw new HeraldError('UNAUTHORIZED', 'Send your API key as "Authorization: Bearer <key>"');
    const found = await this.keys.resolve(token);
    if (!found) throw new HeraldError('UNAUTHORIZED', 'The API key is not valid or was revoked');
    request.auth = { workspaceId: found.workspaceId, keyId: found.keyId, admin: false };
    return true;
  }
}

/**
 * Segment's HTTP sources send the write key as the Basic-auth user name (empty password); a Bearer key works too.
 * Used only where API §7 says so (POST /v1/integrations/segment).
 */
@Injectable()
export class WriteKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const header = request.headers.authorization;
    const basic = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
      const found = user ? await this.keys.resolve(user) : null;
      if (!found) throw new HeraldError('UNAUTHORIZED', 'The write key (Basic-auth user name) is not a valid API key');
      request.auth = { workspaceId: found.workspaceId, keyId: found.keyId, admin: false };
      return true;
    }
    return new ApiKeyGuard(this.keys).canActivate(context);
  }
}

/** Admin routes: HERALD_ADMIN_TOKEN; without it configured, admin routes are disabled. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    if (!this.config.adminToken)
      throw new HeraldError('FORBIDDEN', 'Admin endpoints are disabled: set HERALD_ADMIN_TOKEN');
    const token = bearer(request);
    if (!token) throw new HeraldError('UNAUTHORIZED', 'Send the admin token as "Authorization: Bearer <token>"');
    if (!sameSecret(token, this.config.adminToken))
      throw new HeraldError('UNAUTHORIZED', 'The admin token is not valid');
    request.auth = { workspaceId: null, keyId: null, admin: true };
    return true;
  }
}

/** Either the admin token or a workspace key (the route scopes itself by `auth.workspaceId`). */
@Injectable()
export class AdminOrApiKeyGuard implements CanActivate {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = bearer(request);
    if (token && this.config.adminToken && sameSecret(token, this.config.adminToken)) {
      request.auth = { workspaceId: null, keyId: null, admin: true };
      return true;
    }
    return new ApiKeyGuard(this.keys).canActivate(context);
  }
}

export const Auth = createParamDecorator((_: unknown, context: ExecutionContext): AuthContext => {
  const auth = context.switchToHttp().getRequest<AuthedRequest>().auth;
  if (!auth) throw new HeraldError('UNAUTHORIZED', 'Not authenticated');
  return auth;
});

/** The caller's workspace id; only on routes behind ApiKeyGuard. */
export const WorkspaceId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const workspaceId = context.switchToHttp().getRequest<AuthedRequest>().auth?.workspaceId;
  if (!workspaceId) throw new HeraldError('UNAUTHORIZED', 'Not authenticated');
  return workspaceId;
});
