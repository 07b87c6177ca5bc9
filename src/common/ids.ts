import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Opaque, time-ordered ids (UUIDv7), so "newest first" is an index scan on the primary key. */
export const newId = (prefix: string): string => `${prefix}_${uuidv7().replaceAll('-', '')}`;

export const newSecret = (prefix: string, bytes = 32): string =>
  `${prefix}_${randomBytes(bytes).toString('base64url')}`;
