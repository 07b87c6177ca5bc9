import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelRegistry } from '../channels/channel-registry.js';
import { HeraldError } from '../common/herald-error.js';

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
  async ready() {
    try {
      return await this.checks();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // Terminus's 503 carries the failed checks; the error filter would keep only "Service Unavailable".
      const failed = Object.entries((error.getResponse() as HealthCheckResult).error ?? {});
      throw new HeraldError(
        'NOT_READY',
        `Not ready: ${failed.map(([name]) => name).join(', ') || 'a check failed'}`,
        failed.map(([name, result]) => ({
          field: name,
          issue: typeof result?.message === 'string' ? result.message : 'down',
        })),
      );
    }
  }

  private checks(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2000 }),
      async (): Promise<HealthIndicatorResult> => {
        const pending = await this.db.showMigrations();
        return {
          migrations: pending
            ? { status: 'down', pending, message: 'migrations are pending' }
            : { status: 'up', pending },
        };
      },
      (): HealthIndicatorResult => {
        const breakers = this.registry.breakerStates();
        const open = breakers.filter((b) => b.state === 'open');
        if (!open.length) return { providers: { status: 'up', breakers } };
        const message = `circuit open for ${open.map((b) => `${b.channel} (${b.provider})`).join(', ')}`;
        return { providers: { status: 'down', breakers, message } };
      },
    ]);
  }
}
