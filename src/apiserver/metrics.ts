/**
 * Prometheus metrics of one API server. Each server owns its own prom-client Registry, so several
 * servers in one process (tests, HA masters) never collide on metric names.
 */
import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';

export class ApiMetrics {
  readonly registry = new PromRegistry();

  /** Requests by verb (GET, LIST, WATCH, POST, PUT, PATCH, DELETE, ...), resource and HTTP code. */
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Counter of API server requests broken out by verb, resource and HTTP response code.',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Response latency distribution in seconds for each verb and resource (watches: until the stream starts).',
    labelNames: ['verb', 'resource'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly watchers = new Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Number of currently open watch streams per resource.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  readonly watchEvents = new Counter({
    name: 'apiserver_watch_events_total',
    help: 'Watch events sent to clients per resource and type.',
    labelNames: ['resource', 'type'] as const,
    registers: [this.registry],
  });

  readonly slowWatchersClosed = new Counter({
    name: 'apiserver_watch_slow_closed_total',
    help: 'Watch streams closed because the client fell too far behind.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  /** `/kactus/v1/events` connections ended, by close code (4429: slow consumer, 4410: expired, 4401, 4400, 1000/1001/1006). */
  readonly eventStreamClosed = new Counter({
    name: 'kactus_event_stream_closed_total',
    help: 'Event stream connections closed, by WebSocket close code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly storeDuration = new Histogram({
    name: 'apiserver_storage_request_duration_seconds',
    help: 'Latency of store operations issued by the API server, per operation.',
    labelNames: ['operation'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
