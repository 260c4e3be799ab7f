import type { BffConfig } from './config.js';
import { MemorySessionStore } from './session/memory-store.js';
import { RedisSessionStore } from './session/redis-store.js';
import type { SessionStore } from './session/types.js';

/**
 * The session store the configuration asks for: Redis when `redisUrl` is set (needed for several
 * instances), the bounded in-memory store otherwise.
 *
 * @example
 * const store = createSessionStore(config);
 */
export function createSessionStore(config: BffConfig): SessionStore {
  if (config.redisUrl)
    return new RedisSessionStore({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix });
  // The store's own bound on logins must not be lower than the one the BFF passes with each login.
  return new MemorySessionStore({ maxTransactions: config.maxPendingLogins });
}
