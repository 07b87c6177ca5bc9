import { Body, Controller, Delete, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, WorkspaceId } from '../auth/auth.guards.js';
import { PutContactRequest } from './contact.dto.js';
import { ContactsService, contactView } from './contacts.service.js';

@ApiTags('contacts')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  /** Creates or updates a contact by your own id. */
  @Put(':externalId')
  async put(
    @WorkspaceId() workspaceId: string,
    @Param('externalId') externalId: string,
    @Body() body: PutContactRequest,
  ) {
    return contactView(await this.contacts.upsert(workspaceId, externalId, body));
  }

  @Get(':externalId')
  async get(@WorkspaceId() workspaceId: string, @Param('externalId') externalId: string) {
    return contactView(await this.contacts.get(workspaceId, externalId));
  }

  /** Erases the contact and the addresses and bodies of its messages (GDPR Art. 17). */
  @Delete(':externalId')
  @HttpCode(204)
  async erase(@WorkspaceId() workspaceId: string, @Param('externalId') externalId: string): Promise<void> {
    await this.contacts.erase(workspaceId, externalId);
  }

  /** Everything stored about the contact (GDPR Art. 15). */
  @Get(':externalId/export')
  export(@WorkspaceId() workspaceId: string, @Param('externalId') externalId: string) {
    return this.contacts.export(workspaceId, externalId);
  }
}
