// Redis for the Redis scenarios and suites: a reachability probe (so they can be skipped with a reason) and the
// clean-up of this run's keys by prefix (SCAN + UNLINK; never FLUSHALL: the server may hold other data).
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';

/** What {@link probeRedis} found. */
export type RedisProbe =
  | { readonly ok: true; readonly version: string; readonly pid?: number }
  | { readonly ok: false; readonly reason: string };

/** Connects to `url` or answers why it cannot. */
export async function probeRedis(url: string): Promise<RedisProbe> {
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
    return { ok: false, reason: `Redis at ${redact(url)} is unreachable (${messageOf(error)})` };
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix`; answers how many. */
export async function deleteByPrefix(url: string, prefix: string): Promise<number> {
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

/** Every key under `pattern` (SCAN), handed to `visit` a batch at a time. */
export async function scanKeys(
  client: Redis,
  pattern: string,
  visit: (keys: string[]) => Promise<void>,
  count = 500,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    await visit(keys);
  } while (cursor !== '0');
}

/** `MEMORY USAGE <key> SAMPLES 0`, in bytes. */
export async function memoryUsage(client: Redis, key: string): Promise<number> {
  return Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'REDIS_URL';
  }
}

/** An error's message (or the value itself), for one-line reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
