import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Channel } from '#libs/core/src/index.js';

@Entity('contacts')
export class ContactEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  @Column('text', { name: 'external_id' }) externalId: string;
  @Column('text', { nullable: true }) phone: string | null;
  @Column('text', { nullable: true }) email: string | null;
  @Column('text', { name: 'viber_id', nullable: true }) viberId: string | null;
  @Column('text', { nullable: true }) timezone: string | null;
  @Column('text', { nullable: true }) locale: string | null;
  @Column('jsonb') attributes: Record<string, unknown>;
  @Column('jsonb') consent: Partial<Record<Channel, boolean>>;
  @Column('timestamptz', { name: 'whatsapp_window_open_until', nullable: true }) whatsappWindowOpenUntil: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
