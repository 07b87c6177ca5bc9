import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { HeraldError } from '../common/herald-error.js';
import { newId, newSecret } from '../common/ids.js';
import { ApiKeyEntity } from './api-key.entity.js';

const CACHE_MS = 5_000;

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Issues, checks and revokes workspace API keys. Lookups are cached briefly: auth is on every request. */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { workspaceId: string | null; keyId: string | null; until: number }>();

  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  async issue(workspaceId: string): Promise<{ id: string; key: string; prefix: string; createdAt: Date }> {
    const key = newSecret('hk');
    const entity = this.keys.create({
      id: newId('key'),
      workspaceId,
      keyHash: hashKey(key),
      prefix: key.slice(0, 10),
      revokedAt: null,
    });
    const saved = await this.keys.save(entity);
    return { id: saved.id, key, prefix: saved.prefix, createdAt: saved.createdAt };
  }

  /** The workspace and key id a presented key belongs to, or null. */
  async resolve(key: string): Promise<{ workspaceId: string; keyId: string } | null> {
    const hash = hashKey(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) {
      return cached.workspaceId && cached.keyId ? { workspaceId: cached.workspaceId, keyId: cached.keyId } : null;
    }
    const found = await this.keys.findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { workspaceId: found?.workspaceId ?? null, keyId: found?.id ?? null, until: now + CACHE_MS });
    return found ? { workspaceId: found.workspaceId, keyId: found.id } : null;
  }

  /** Revokes a key; `workspaceId` scopes the call unless an admin makes it. */
  async revoke(keyId: string, workspaceId: string | null): Promise<void> {
    const key = await this.keys.findOne({ where: workspaceId ? { id: keyId, workspaceId } : { id: keyId } });
    if (!key) throw HeraldError.notFound('Key');
    if (!key.revokedAt) await this.keys.update({ id: key.id, workspaceId: key.workspaceId }, { revokedAt: new Date() });
    this.cache.clear();
  }
}
