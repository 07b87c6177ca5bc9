import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyEntity } from '../auth/api-key.entity.js';
import { ApiKeysService } from '../auth/api-keys.service.js';
import { AdminGuard, AdminOrApiKeyGuard, ApiKeyGuard } from '../auth/auth.guards.js';
import { WorkspaceEntity } from './workspace.entity.js';
import { WorkspacesController } from './workspaces.controller.js';
import { WorkspacesService } from './workspaces.service.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([WorkspaceEntity, ApiKeyEntity])],
  controllers: [WorkspacesController],
  providers: [WorkspacesService, ApiKeysService, ApiKeyGuard, AdminGuard, AdminOrApiKeyGuard],
  exports: [WorkspacesService, ApiKeysService, ApiKeyGuard],
})
export class WorkspacesModule {}
