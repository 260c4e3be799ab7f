import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { SessionStore } from '../session/types.js';

/** What `@fastify/rate-limit` hands `child()`: the merged options, with the route they are for. */
interface ChildOptions {
  readonly routeInfo?: { readonly method?: unknown; readonly url?: unknown };
}

/**
 * A `@fastify/rate-limit` store that counts in the session store (`SessionStore.countHit`): in Redis with the
 * Redis store, so every instance sharing it shares each client's count, with the store's fail-fast client
 * and key prefix (`hits:<route> <client>`, expiring with its window); in this process with the memory store.
 * Each request gets its own count (the plugin's built-in local store hands concurrent requests one shared,
 * still-changing object, so a burst arriving at once all passed). When the store cannot be reached the
 * request fails with its `StoreUnavailableError` (503), as the store's own calls would.
 *
 * @example
 * await scope.register(rateLimit, { global: false, max: 60, timeWindow: 60_000, store: rateLimitStore(store) });
 */
export function rateLimitStore(store: SessionStore): FastifyRateLimitStoreCtor {
  class SessionStoreCounter implements FastifyRateLimitStore {
    readonly #scope: string;

    constructor(_options?: unknown, scope = '') {
      this.#scope = scope;
    }

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      store.countHit(`${this.#scope}${key}`, timeWindow).then(
        ({ count, resetInMs }) => callback(null, { current: count, ttl: resetInMs }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }

    child(options: object): FastifyRateLimitStore {
      // One count per route: `GET /auth/login 203.0.113.7`.
      const route = (options as ChildOptions).routeInfo;
      return new SessionStoreCounter(undefined, `${String(route?.method)} ${String(route?.url)} `);
    }
  }
  return SessionStoreCounter;
}
