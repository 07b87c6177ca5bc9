import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Keys are stored as SHA-256 hashes: they are 256-bit random secrets, so a slow KDF adds nothing. */
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  @Column('text', { name: 'key_hash' }) keyHash: string;
  @Column('text') prefix: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
