import { Body, Controller, Delete, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { ApiKeysService } from '../auth/api-keys.service.js';
import { AdminGuard, AdminOrApiKeyGuard, Auth, type AuthContext } from '../auth/auth.guards.js';
import { WorkspacesService } from './workspaces.service.js';

export class CreateWorkspaceRequest {
  @ApiProperty({ example: 'Acme shop' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
}

@ApiTags('workspaces')
@ApiBearerAuth()
@Controller('v1')
export class WorkspacesController {
  constructor(
    private readonly workspaces: WorkspacesService,
    private readonly keys: ApiKeysService,
  ) {}

  /** Creates a workspace and its first API key (shown once). Admin token required. */
  @Post('workspaces')
  @UseGuards(AdminGuard)
  async create(@Body() body: CreateWorkspaceRequest) {
    const created = await this.workspaces.create(body.name.trim());
    return {
      id: created.id,
      name: created.name,
      apiKey: created.apiKey,
      keyId: created.keyId,
      createdAt: created.createdAt,
    };
  }

  /** Issues another API key for a workspace (shown once). Admin token required. */
  @Post('workspaces/:id/keys')
  @UseGuards(AdminGuard)
  issueKey(@Param('id') id: string) {
    return this.workspaces.issueKey(id);
  }

  /** Revokes a key: the admin, or a key of the same workspace. */
  @Delete('keys/:keyId')
  @HttpCode(204)
  @UseGuards(AdminOrApiKeyGuard)
  async revoke(@Param('keyId') keyId: string, @Auth() auth: AuthContext): Promise<void> {
    await this.keys.revoke(keyId, auth.admin ? null : auth.workspaceId);
  }
}
