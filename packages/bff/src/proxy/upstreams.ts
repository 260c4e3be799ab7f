import { Pool } from 'undici';
import type { BffConfig, UpstreamConfig } from '../config.js';
import { DEFAULT_FORWARDED_HEADERS } from '../forwarded-headers.js';
import type { BffMetrics, UpstreamTally } from '../metrics.js';
import { primaryResource, type TokenTarget, tokenTarget } from '../resources.js';

/** One configured upstream, as the proxy routes to it. */
export interface UpstreamRoute {
  readonly name: string;
  readonly upstream: UpstreamConfig;
  /** The undici keep-alive pool of its origin. */
  readonly pool: Pool;
  /** The upstream URL's path without a trailing `/` (`''` for a bare origin). */
  readonly basePath: string;
  readonly host: string;
  /** The upstream URL's origin (`http://orders.internal:8080`): the start of a DPoP proof's `htu`. */
  readonly origin: string;
  readonly methods: ReadonlySet<string>;
  /** The request headers forwarded to it: the default allow-list and its own `forwardHeaders`. */
  readonly forwardHeaders: ReadonlySet<string>;
  /** Where the metrics of its answers are counted (none without metrics). */
  readonly tally: UpstreamTally | undefined;
  /**
   * The token it gets instead of the session's main one (its resource's, or one exchanged for its audience),
   * or `undefined` for the main token (see `tokenTarget`).
   */
  readonly token: TokenTarget | undefined;
}

const API_PREFIX = '/api/';
const SLASH = 47;
const QUESTION_MARK = 63;

/** True when a request-target is the proxy's: `/api/…` in origin-form, raw (never decoded). */
export function isApiTarget(url: string | undefined): url is string {
  return url?.startsWith(API_PREFIX) === true;
}

/**
 * Where `/api/<name>` ends in an API target: at the `/` or `?` after the name, or at the end. The name is
 * the target's text from 5 to there; what follows is the rest forwarded (`''`, `/…` or `?…`).
 */
export function nameEnd(url: string): number {
  let end = API_PREFIX.length;
  while (end < url.length && url.charCodeAt(end) !== SLASH && url.charCodeAt(end) !== QUESTION_MARK) end++;
  return end;
}

/** The allow-listed upstreams by name, each with its own keep-alive pool. */
export class UpstreamTable {
  readonly #routes = new Map<string, UpstreamRoute>();

  constructor(config: BffConfig, metrics: BffMetrics | undefined) {
    const primary = primaryResource(config);
    for (const [name, upstream] of Object.entries(config.upstreams)) {
      const url = new URL(upstream.url);
      this.#routes.set(name, {
        name,
        upstream,
        pool: new Pool(url.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 }),
        basePath: url.pathname.replace(/\/+$/, ''),
        host: url.host,
        origin: url.origin,
        methods: new Set(upstream.methods),
        forwardHeaders: new Set([...DEFAULT_FORWARDED_HEADERS, ...upstream.forwardHeaders]),
        tally: metrics?.proxyAnswers.tally(name),
        token: tokenTarget(upstream, primary),
      });
    }
  }

  /** The upstream named `/api/<name>` in `url` (ending at `end`, see {@link nameEnd}), if configured. */
  find(url: string, end: number): UpstreamRoute | undefined {
    return this.#routes.get(url.slice(API_PREFIX.length, end));
  }

  /** Closes every upstream connection pool. */
  async close(): Promise<void> {
    await Promise.all([...this.#routes.values()].map((route) => route.pool.close()));
  }
}
