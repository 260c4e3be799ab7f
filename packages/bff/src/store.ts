import type { BffConfig } from './config.js';
import { MemorySessionStore } from './session/memory-store.js';
import { type RedisTarget, redisTargetOf } from './session/redis-connection.js';
import { RedisSessionStore, type RedisSessionStoreOptions } from './session/redis-store.js';
import type { SessionStore } from './session/types.js';

/**
 * Where the configuration puts Redis (`redisUrl` with `redisCluster` or `redisSentinel`), or `undefined`
 * without Redis.
 *
 * @example
 * redisTarget(config); // { kind: 'cluster', nodes: ['redis://10.0.0.1:7000', …] }
 */
export function redisTarget(config: BffConfig): RedisTarget | undefined {
  if (!config.redisUrl) return undefined;
  return redisTargetOf(config.redisUrl, { cluster: config.redisCluster, sentinel: config.redisSentinel });
}

/** The store options that reach `target`. */
function storeOptionsOf(target: RedisTarget): RedisSessionStoreOptions {
  switch (target.kind) {
    case 'single':
      return { url: target.url };
    case 'cluster':
      return { cluster: target.nodes };
    case 'sentinel':
      return { sentinel: { name: target.name, sentinels: target.sentinels } };
  }
}

/**
 * The session store the configuration asks for: Redis when `redisUrl` is set (needed for several
 * instances; one server, a Redis Cluster or a primary behind Sentinel), the bounded in-memory store otherwise.
 *
 * @example
 * const store = createSessionStore(config);
 */
export function createSessionStore(config: BffConfig): SessionStore {
  const target = redisTarget(config);
  if (target) {
    const waitReplicas = config.redisWaitReplicas ?? (target.kind === 'single' ? 0 : 1);
    return new RedisSessionStore({
      ...storeOptionsOf(target),
      keyPrefix: config.redisKeyPrefix,
      waitReplicas,
    });
  }
  // The store's own bound on logins must not be lower than the one the BFF passes with each login.
  return new MemorySessionStore({ maxTransactions: config.maxPendingLogins });
}
