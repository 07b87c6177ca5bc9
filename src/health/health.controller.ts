import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator, type HealthIndicatorResult } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelRegistry } from '../channels/channel-registry.js';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly registry: ChannelRegistry,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live() {
    return { status: 'ok' };
  }

  /** Readiness: the database answers, every migration is applied, and no provider breaker is open. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2000 }),
      async (): Promise<HealthIndicatorResult> => {
        const pending = await this.db.showMigrations();
        return { migrations: { status: pending ? 'down' : 'up', pending } };
      },
      (): HealthIndicatorResult => {
        const breakers = this.registry.breakerStates();
        const open = breakers.filter((b) => b.state === 'open');
        return { providers: { status: open.length ? 'down' : 'up', breakers } };
      },
    ]);
  }
}
