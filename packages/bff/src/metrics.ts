import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Where the gauges read their values when Prometheus scrapes. */
export interface GaugeSources {
  readonly pushStreams?: () => number;
  readonly sessions?: () => number | undefined;
  /** Open long-lived connections through `/api/*`, by kind (`ws`, `sse`) and upstream. */
  readonly longLived?: () => readonly { kind: string; upstream: string; open: number }[];
}

/**
 * The BFF's Prometheus metrics (prom-client), in a registry of its own: logins, refreshes, logouts and
 * session ends, proxied requests by upstream and status class with latency, back-channel logouts, open push
 * streams, open long-lived connections through the proxy and live sessions. Labels never carry a user, a session or a token.
 */
export class BffMetrics {
  readonly registry = new Registry();
  #sources: GaugeSources = {};
  readonly logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Completed logins by outcome (success, or the failure reason).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly refreshes = new Counter({
    name: 'gatehouse_refreshes_total',
    help: 'Token refreshes sent to the issuer, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly tokenExchanges = new Counter({
    name: 'gatehouse_token_exchanges_total',
    help: 'Token exchanges (RFC 8693) sent to the issuer for upstreams configured with `exchange`, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly refreshSeconds = new Histogram({
    name: 'gatehouse_refresh_duration_seconds',
    help: 'Time the issuer took to answer a refresh.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly sessionEnds = new Counter({
    name: 'gatehouse_session_ends_total',
    help: 'Sessions ended, by reason (logout, idle_timeout, absolute_timeout, refresh_failed, backchannel_logout…).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly sharedSignals = new Counter({
    name: 'gatehouse_ssf_events_total',
    help: 'Shared Signals events received, by event type (its last URI segment) and outcome (acted, ignored, refused).',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly proxyRequests: Counter<'upstream' | 'status'> = new Counter({
    name: 'gatehouse_proxy_requests_total',
    help: 'Requests answered on /api/*, by upstream and status class (2xx…5xx; refused ones carry the BFF’s status).',
    labelNames: ['upstream', 'status'] as const,
    registers: [this.registry],
    collect: () => this.proxyAnswers.drainCounts(this.proxyRequests),
  });
  /** The proxy's answers, tallied in plain numbers on the hot path and read when Prometheus scrapes. */
  readonly proxyAnswers = new ProxyAnswers(
    'gatehouse_proxy_duration_seconds',
    'Time from a request reaching the proxy to the upstream answer’s headers, by upstream.',
  );
  readonly denials = new Counter({
    name: 'gatehouse_denials_total',
    help: 'Requests refused: 401 (unauthenticated, session_expired), 403 (csrf_failed, forbidden).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly pushStreams: Gauge = new Gauge({
    name: 'gatehouse_push_streams',
    help: 'Open push-channel streams (browser tabs) in this process.',
    registers: [this.registry],
    collect: () => {
      const value = this.#sources.pushStreams?.();
      if (value !== undefined) this.pushStreams.set(value);
    },
  });
  readonly longLivedConnections: Gauge<'kind' | 'upstream'> = new Gauge({
    name: 'gatehouse_long_lived_connections',
    help: 'Open long-lived connections through /api/* in this process, by kind (ws, sse) and upstream.',
    labelNames: ['kind', 'upstream'] as const,
    registers: [this.registry],
    collect: () => {
      for (const { kind, upstream, open } of this.#sources.longLived?.() ?? [])
        this.longLivedConnections.set({ kind, upstream }, open);
    },
  });
  readonly activeSessions: Gauge = new Gauge({
    name: 'gatehouse_active_sessions',
    help: 'Sessions in the store (memory store: exact; Redis: not reported).',
    registers: [this.registry],
    collect: () => {
      const value = this.#sources.sessions?.();
      if (value !== undefined) this.activeSessions.set(value);
    },
  });

  /** Where the gauges read their values when Prometheus scrapes. */
  observe(sources: GaugeSources): void {
    this.#sources = { ...this.#sources, ...sources };
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.registry.registerMetric(this.proxyAnswers as unknown as Histogram);
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }

  /** A status class label: `2xx`, `4xx`… */
  static statusClass(status: number): string {
    return `${Math.floor(status / 100)}xx`;
  }
}

/** One upstream's tallies: answers by status class not yet added to the counter, and the latency histogram. */
export interface UpstreamTally {
  readonly byClass: number[];
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * The proxy's per-request figures. prom-client hashes and validates the labels on every `inc` and
 * `observe`, even on a bound child; the proxy instead adds to plain numbers, one tally per upstream, and
 * Prometheus reads them at scrape time: the status-class counts are added to
 * `gatehouse_proxy_requests_total` (its `collect` hook), and the latency histogram is served from here,
 * in prom-client's metric shape (`get()`), so the registry formats it and cluster aggregation sums it.
 */
export class ProxyAnswers {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #tallies = new Map<string, UpstreamTally>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The tally of one upstream, made on first use; the proxy keeps it for the hot path. */
  tally(upstream: string): UpstreamTally {
    let tally = this.#tallies.get(upstream);
    if (tally === undefined) {
      tally = {
        byClass: [0, 0, 0, 0, 0, 0],
        buckets: new Float64Array(LATENCY_BUCKETS.length),
        sum: 0,
        count: 0,
      };
      this.#tallies.set(upstream, tally);
    }
    return tally;
  }

  /** Counts one answer: its status and the seconds its headers took. */
  static record(tally: UpstreamTally, status: number, seconds: number): void {
    const statusClass = Math.min(5, Math.floor(status / 100));
    tally.byClass[statusClass] = (tally.byClass[statusClass] as number) + 1;
    tally.count++;
    tally.sum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= (LATENCY_BUCKETS[i] as number)) {
        tally.buckets[i] = (tally.buckets[i] as number) + 1;
        return;
      }
    }
  }

  /** Adds the status-class counts gathered since the last scrape to the counter. */
  drainCounts(counter: Counter<'upstream' | 'status'>): void {
    for (const [upstream, tally] of this.#tallies) {
      for (let statusClass = 1; statusClass < tally.byClass.length; statusClass++) {
        const count = tally.byClass[statusClass] as number;
        if (count === 0) continue;
        counter.inc({ upstream, status: `${statusClass}xx` }, count);
        tally.byClass[statusClass] = 0;
      }
    }
  }

  /** prom-client's metric interface: the histogram's series. */
  get(): { name: string; help: string; type: string; aggregator: string; values: object[] } {
    const values: object[] = [];
    for (const [upstream, tally] of this.#tallies) {
      let cumulative = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        cumulative += tally.buckets[i] as number;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: LATENCY_BUCKETS[i], upstream },
          value: cumulative,
        });
      }
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', upstream }, value: tally.count },
        { metricName: `${this.name}_sum`, labels: { upstream }, value: tally.sum },
        { metricName: `${this.name}_count`, labels: { upstream }, value: tally.count },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** prom-client's metric interface: `registry.resetMetrics()`. */
  reset(): void {
    this.#tallies.clear();
  }
}

/**
 * Serves `GET /metrics` on its own port (never the public one). With cluster workers, run it in the primary
 * with `aggregate: true`: it asks every worker for its metrics and sums them.
 *
 * @example
 * const server = await serveMetrics({ port: 9464, registry: metrics.registry });
 */
export async function serveMetrics(options: {
  port: number;
  host?: string;
  registry?: Registry;
  aggregate?: boolean;
}): Promise<Server> {
  const aggregator = options.aggregate ? new AggregatorRegistry() : undefined;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = aggregator ? aggregator.clusterMetrics() : (options.registry as Registry).metrics();
    body.then(
      (text) =>
        res
          .writeHead(200, { 'content-type': (aggregator ?? (options.registry as Registry)).contentType })
          .end(text),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}
