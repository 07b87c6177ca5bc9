import { Global, Module } from '@nestjs/common';
import { ChannelRegistry } from './channel-registry.js';
import { PgSandboxStore } from './sandbox.store.js';

@Global()
@Module({ providers: [ChannelRegistry, PgSandboxStore], exports: [ChannelRegistry, PgSandboxStore] })
export class ChannelsModule {}
