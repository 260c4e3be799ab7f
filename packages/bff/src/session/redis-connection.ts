// Where Redis is and how to reach it: one server, a Redis Cluster, or a primary found through Sentinel. The
// store and the event bus both connect through here, so the three topologies are told apart in one place.
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis is. `single`: one server (or a proxy in front of several). `cluster`: a Redis Cluster, reached
 * through any of `nodes` (seeds; the client learns the rest). `sentinel`: the primary Sentinel names `name`,
 * asked of any of `sentinels`; the client follows a failover to the promoted replica.
 */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly string[] }
  | { readonly kind: 'sentinel'; readonly name: string; readonly sentinels: readonly string[] };

/** A connected ioredis client of either shape: both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** True when `value` is a `redis://` or `rediss://` URL. */
export function isRedisUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'redis:' || protocol === 'rediss:';
  } catch {
    return false;
  }
}

/**
 * The target a `REDIS_URL`-style setting names: one URL, or several separated by commas (cluster seeds or
 * sentinels). With `sentinel`, the URLs are sentinels; with `cluster`, seeds; several URLs need one of them.
 * Throws a `RangeError` that says what is wrong.
 *
 * @example
 * redisTargetOf('redis://10.0.0.1:7000,redis://10.0.0.2:7000', { cluster: true });
 */
export function redisTargetOf(
  urls: string,
  mode: { cluster?: boolean; sentinel?: string } = {},
): RedisTarget {
  const list = urls
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
  const bad = list.find((url) => !isRedisUrl(url));
  if (list.length === 0 || bad !== undefined) {
    throw new RangeError('Redis URLs must be redis:// or rediss:// URLs separated by commas');
  }
  if (mode.cluster && mode.sentinel !== undefined) {
    throw new RangeError('Redis is either a cluster or behind Sentinel, not both');
  }
  if (mode.cluster) return { kind: 'cluster', nodes: list };
  if (mode.sentinel !== undefined) return { kind: 'sentinel', name: mode.sentinel, sentinels: list };
  if (list.length > 1) {
    throw new RangeError('several Redis URLs need cluster mode or a Sentinel primary name');
  }
  return { kind: 'single', url: list[0] as string };
}

interface RedisNode {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
}

/** Host, port and credentials of a URL, as ioredis takes them apart. */
function nodeOf(url: string): RedisNode {
  const parsed = new URL(url);
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(parsed.port || 6379),
    tls: parsed.protocol === 'rediss:',
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/**
 * An ioredis client for `target`. `options` apply to every connection (to each cluster node, to the
 * primary behind Sentinel); `cluster` adds options of the cluster client itself.
 */
export function connectRedis(
  target: RedisTarget,
  options: RedisOptions,
  cluster: Partial<ClusterOptions> = {},
): RedisClient {
  switch (target.kind) {
    case 'single':
      return new Redis(target.url, options);
    case 'cluster': {
      const nodes = target.nodes.map(nodeOf);
      const first = nodes[0];
      const auth = {
        ...(first?.username ? { username: first.username } : {}),
        ...(first?.password ? { password: first.password } : {}),
        ...(first?.tls ? { tls: {} } : {}),
      };
      return new Cluster(
        nodes.map(({ host, port }) => ({ host, port })),
        { ...cluster, redisOptions: { ...options, ...auth } },
      );
    }
    case 'sentinel': {
      const sentinels = target.sentinels.map(nodeOf);
      const first = sentinels[0];
      return new Redis({
        ...options,
        name: target.name,
        sentinels: sentinels.map(({ host, port }) => ({ host, port })),
        ...(first?.username ? { sentinelUsername: first.username, username: first.username } : {}),
        ...(first?.password ? { sentinelPassword: first.password, password: first.password } : {}),
        ...(first?.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
      });
    }
  }
}
