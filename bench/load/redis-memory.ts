// What a load run left in Redis, by kind of key: sessions, index keys, refresh marks, locks, logins in flight.
import { Redis } from 'ioredis';
import { scanKeys } from '../lib/redis.js';

/** Keys and bytes of one kind. */
export interface KeyKind {
  keys: number;
  bytes: number;
}

/** Keys and `MEMORY USAGE` bytes under `prefix`, by kind (`s`, `u`, `o`, `lock:refresh-sent`, `lock`…). */
export async function redisMemory(url: string, prefix: string): Promise<Record<string, KeyKind>> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const kinds: Record<string, KeyKind> = {};
  try {
    await scanKeys(
      client,
      `${prefix}*`,
      async (keys) => {
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
        const sizes = keys.length ? ((await pipeline.exec()) ?? []) : [];
        keys.forEach((key, i) => {
          const kind = kindOf(key.slice(prefix.length));
          kinds[kind] ??= { keys: 0, bytes: 0 };
          kinds[kind].keys++;
          kinds[kind].bytes += Number(sizes[i]?.[1] ?? 0);
        });
      },
      1000,
    );
  } finally {
    client.disconnect();
  }
  return kinds;
}

/** `s:…` → `s`; `lock:refresh-sent:…` → `lock:refresh-sent`; `lock:…` → `lock`. */
function kindOf(rest: string): string {
  if (rest.startsWith('lock:refresh-sent:')) return 'lock:refresh-sent';
  if (rest.startsWith('lock:')) return 'lock';
  return rest.slice(0, rest.indexOf(':') + 1 || rest.length).replace(/:$/, '');
}
