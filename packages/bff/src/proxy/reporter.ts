import type { ProblemCode } from '@gatehouse/policy';
import type { Logger } from 'pino';
import { BffError } from '../errors.js';
import { BffMetrics, ProxyAnswers } from '../metrics.js';
import { type EndReason, sessionRef } from '../sessions.js';
import type { Forward, ProxySink } from './forward.js';
import type { UpstreamRoute } from './upstreams.js';

/** What the proxy counts, for tests, benchmarks and metrics. */
export interface ProxyStats {
  forwarded: number;
  refused: number;
  upstreamErrors: number;
}

/**
 * Everything the proxy tells the outside world, in one place: counters ({@link ProxyStats}), Prometheus
 * figures (plain tallies on the hot path, read at scrape time), and log lines (`csrf_refused`,
 * `unauthorized`, `access_denied` for an upstream's 401/403, `upstream_error`, `proxy_error`).
 */
export class ProxyReporter implements ProxySink {
  readonly stats: ProxyStats = { forwarded: 0, refused: 0, upstreamErrors: 0 };
  readonly #log: Logger;
  readonly #metrics: BffMetrics | undefined;

  constructor(log: Logger, metrics: BffMetrics | undefined) {
    this.#log = log;
    this.#metrics = metrics;
  }

  /** The BFF answered `status` itself, nothing reached an upstream. */
  refused(status: number, code: ProblemCode): void {
    this.stats.refused++;
    if (this.#metrics === undefined) return;
    this.#metrics.proxyRequests.inc({ upstream: 'refused', status: BffMetrics.statusClass(status) });
    if (status === 401 || status === 403) this.#metrics.denials.inc({ code });
  }

  /** The CSRF check refused a request to `route`. */
  csrfRefused(route: UpstreamRoute, method: string, reason: string): void {
    this.#log.warn({ event: 'csrf_refused', reason, upstream: route.name, method }, 'request refused');
  }

  /** A request to a `required` upstream came with a session that has ended (the 401 is in the audit trail). */
  sessionEnded(id: string, reason: EndReason | 'missing'): void {
    this.#log.info({ event: 'unauthorized', reason, session: sessionRef(id) }, 'session ended');
  }

  answered(forward: Forward, status: number): void {
    const { route } = forward;
    if (route.tally !== undefined)
      ProxyAnswers.record(route.tally, status, (performance.now() - forward.startedAt) / 1000);
    // An authorization failure worth an audit line.
    if (status === 401 || status === 403) {
      this.#log.info(
        {
          event: 'access_denied',
          status,
          upstream: route.name,
          method: forward.method,
          path: forward.restPath,
          traceId: forward.traceId,
        },
        'upstream denied access',
      );
    }
  }

  completed(_forward: Forward): void {
    this.stats.forwarded++;
  }

  failed(forward: Forward, error: Error): void {
    const upstream = forward.route.name;
    this.stats.upstreamErrors++;
    this.#metrics?.proxyRequests.inc({ upstream, status: '5xx' });
    this.#log.warn(
      { event: 'upstream_error', upstream, traceId: forward.traceId, err: error },
      'upstream failed',
    );
  }

  /** A WebSocket handshake reached its upstream and the two sockets are piped together. */
  upgraded(route: UpstreamRoute): void {
    this.stats.forwarded++;
    this.#log.debug({ event: 'websocket_open', upstream: route.name }, 'WebSocket connected');
  }

  /** A WebSocket handshake failed upstream (no answer, or not a `101`); the client got a problem. */
  upgradeFailed(route: UpstreamRoute, error: Error): void {
    this.stats.upstreamErrors++;
    this.#metrics?.proxyRequests.inc({ upstream: route.name, status: '5xx' });
    this.#log.warn(
      { event: 'upstream_error', upstream: route.name, err: error },
      'WebSocket upstream failed',
    );
  }

  /** The proxy itself failed (a store or issuer error, or a bug) before answering. */
  crashed(error: unknown): void {
    if (error instanceof BffError) {
      if (error.status >= 500)
        this.#log.error({ event: 'proxy_error', code: error.code, err: error.cause ?? error }, error.message);
      return;
    }
    this.#log.error({ event: 'proxy_error', err: error }, 'unexpected proxy failure');
  }
}
