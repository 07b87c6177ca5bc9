import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiKeysService } from '../auth/api-keys.service.js';
import { HeraldError } from '../common/herald-error.js';
import { newId, newSecret } from '../common/ids.js';
import { WorkspaceEntity } from './workspace.entity.js';

@Injectable()
export class WorkspacesService {
  constructor(
    @InjectRepository(WorkspaceEntity) private readonly workspaces: Repository<WorkspaceEntity>,
    private readonly keys: ApiKeysService,
  ) {}

  async create(name: string): Promise<{ id: string; name: string; apiKey: string; keyId: string; createdAt: Date }> {
    const workspace = await this.workspaces.save(
      this.workspaces.create({ id: newId('ws'), name, callbackSecret: newSecret('whsec', 24) }),
    );
    const key = await this.keys.issue(workspace.id);
    return { id: workspace.id, name: workspace.name, apiKey: key.key, keyId: key.id, createdAt: workspace.createdAt };
  }

  async issueKey(workspaceId: string): Promise<{ id: string; apiKey: string; prefix: string; createdAt: Date }> {
    if (!(await this.workspaces.existsBy({ id: workspaceId }))) throw HeraldError.notFound('Workspace');
    const key = await this.keys.issue(workspaceId);
    return { id: key.id, apiKey: key.key, prefix: key.prefix, createdAt: key.createdAt };
  }

  count(): Promise<number> {
    return this.workspaces.count();
  }
}
