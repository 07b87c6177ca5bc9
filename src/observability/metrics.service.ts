import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { ChannelRegistry } from '../channels/channel-registry.js';
import type { Changes } from '../dispatch/changes.js';

/** Prometheus metrics (prom-client), one registry per app instance so tests can run several apps. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly accepted = new Counter({
    name: 'herald_messages_accepted_total',
    help: 'Messages accepted by the API',
    labelNames: ['first_channel'],
    registers: [this.registry],
  });

  readonly attempts = new Counter({
    name: 'herald_attempts_total',
    help: 'Attempt status changes, by channel and status',
    labelNames: ['channel', 'status'],
    registers: [this.registry],
  });

  readonly finished = new Counter({
    name: 'herald_messages_finished_total',
    help: 'Messages that ended in a final failure status',
    labelNames: ['status'],
    registers: [this.registry],
  });

  readonly dispatchLatency = new Histogram({
    name: 'herald_dispatch_latency_seconds',
    help: 'Time from acceptance to submission to the provider',
    labelNames: ['channel'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly eventsIngested = new Counter({
    name: 'herald_events_ingested_total',
    help: 'Customer events received, by source (api, segment, shopify); replays of a known id counted apart',
    labelNames: ['source', 'duplicate'],
    registers: [this.registry],
  });

  readonly eventLag = new Histogram({
    name: 'herald_trigger_event_lag_seconds',
    help: 'Time from receiving an event to evaluating it against the trigger rules',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly firings = new Counter({
    name: 'herald_firings_decided_total',
    help: 'Trigger and broadcast firings decided when due: sent, suppressed, canceled or failed, with the reason',
    labelNames: ['outcome', 'reason'],
    registers: [this.registry],
  });

  readonly callbacks = new Counter({
    name: 'herald_callbacks_total',
    help: 'Status callback tries, by outcome: delivered (2xx), retry (will be tried again), failed (given up)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  /** Counts what a dispatcher or ingestion batch did, once it is written. */
  record(changes: Changes): void {
    for (const { channel, status } of changes.counted) this.attempts.inc({ channel, status });
    for (const { channel, seconds } of changes.latencies) this.dispatchLatency.observe({ channel }, seconds);
    for (const status of changes.finishedStatuses) this.finished.inc({ status });
  }

  constructor(@InjectDataSource() db: DataSource, registry: ChannelRegistry) {
    collectDefaultMetrics({ register: this.registry, prefix: 'herald_' });
    new Gauge({
      name: 'herald_provider_breaker_open',
      help: 'Whether a provider circuit breaker is open (1) or half-open/closed (0)',
      labelNames: ['channel', 'provider', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const b of registry.breakerStates())
          this.set({ channel: b.channel, provider: b.provider, state: b.state }, b.state === 'open' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'herald_firings_due',
      help: 'Trigger and broadcast firings due now and not yet decided (timer backlog)',
      registers: [this.registry],
      async collect() {
        const rows: { n: string }[] = await db.query(
          `SELECT count(*) AS n FROM firings WHERE status = 'waiting' AND due_at <= now()`,
        );
        this.set(Number(rows[0].n));
      },
    });
    new Gauge({
      name: 'herald_queue_depth',
      help: 'Messages due for dispatch now',
      registers: [this.registry],
      async collect() {
        const rows: { n: string }[] = await db.query(`SELECT count(*) AS n FROM messages WHERE due_at <= now()`);
        this.set(Number(rows[0].n));
      },
    });
  }
}
