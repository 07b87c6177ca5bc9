import type { DataSourceOptions } from 'typeorm';
import { InitialSchema1764770000000 } from '../../migrations/1764770000000-InitialSchema.js';
import { InboundMessages1764780000000 } from '../../migrations/1764780000000-InboundMessages.js';
import { RateCards1764790000000 } from '../../migrations/1764790000000-RateCards.js';
import { Templates1764800000000 } from '../../migrations/1764800000000-Templates.js';
import { Triggers1764810000000 } from '../../migrations/1764810000000-Triggers.js';
import { StatusCallbacks1764820000000 } from '../../migrations/1764820000000-StatusCallbacks.js';
import { Reports1764830000000 } from '../../migrations/1764830000000-Reports.js';
import { ApiKeyEntity } from '../auth/api-key.entity.js';
import { ContactEntity } from '../contacts/contact.entity.js';
import { WorkspaceEntity } from '../workspaces/workspace.entity.js';

export const ENTITIES = [WorkspaceEntity, ApiKeyEntity, ContactEntity];
export const MIGRATIONS = [
  InitialSchema1764770000000,
  InboundMessages1764780000000,
  RateCards1764790000000,
  Templates1764800000000,
  Triggers1764810000000,
  StatusCallbacks1764820000000,
  Reports1764830000000,
];

/** One definition for the app, the migration CLI and the tests. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'herald_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    extra: {
      max: poolSize,
      // Bounded waits: a stuck lock or query fails loudly instead of piling up workers.
      options: '-c statement_timeout=30000 -c lock_timeout=10000 -c idle_in_transaction_session_timeout=60000',
      application_name: 'herald',
    },
  };
}
