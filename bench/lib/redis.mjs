// Redis for the Redis scenarios: a reachability probe (so they can be skipped with a reason) and the clean-up
// of this run's keys by prefix (SCAN + UNLINK; never FLUSHALL: the server may hold other data).
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';

/**
 * Connects to `url` or answers why it cannot.
 * @returns {Promise<{ ok: true, version: string, pid?: number } | { ok: false, reason: string }>}
 */
export async function probeRedis(url) {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
    return {
      ok: true,
      version: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
      // The server's pid, when it runs on this machine, so its CPU counts as the bench's own load.
      ...(local && Number.isInteger(pid) && existsSync(`/proc/${pid}/stat`) ? { pid } : {}),
    };
  } catch (error) {
    return { ok: false, reason: `Redis at ${redact(url)} is unreachable (${error?.message ?? error})` };
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix`; answers how many. */
export async function deleteByPrefix(url, prefix) {
  const client = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}

/** The URL without its password, for messages. */
export function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'REDIS_URL';
  }
}
