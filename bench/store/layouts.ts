// The same session record in the layouts the BFF's Redis store had before and in the proposals measured before
// the change, beside what `RedisSessionStore` writes now: bytes per session on the private redis-server.
import { createHash } from 'node:crypto';
import { RedisSessionStore, type SessionRecord } from '@gatehouse/bff';
import type { Redis } from 'ioredis';
import { memoryUsage } from '../lib/redis.js';

/** One way to lay a session out in Redis. */
export interface Layout {
  readonly id: string;
  readonly label: string;
  /** What it takes from the layout before. */
  readonly change: string;
  /** `bff`: RedisSessionStore itself; `hash`: a hash with index sets; `json`: one JSON string. */
  readonly store: 'bff' | 'hash' | 'json';
  /** Redis settings the layout needs. */
  readonly redis: { readonly 'hash-max-listpack-value'?: string };
  /** The hash without its `i` field (index keys derived from iss/sid/sub). */
  readonly noIndexField?: boolean;
  /** A 12-byte issuer hash in index keys instead of SHA-256 hex. */
  readonly shortKeys?: boolean;
  /** Index sets as sorted sets scored by expiry. */
  readonly sortedIndexes?: boolean;
  /** A 43-character opaque access token instead of the JWT. */
  readonly opaque?: boolean;
}

/** `MEMORY USAGE` of one session in one layout. */
export interface LayoutBytes {
  readonly total: number;
  readonly session: number;
  readonly indexes: readonly number[];
}

/** The layouts, in the order the report lists them; `change` says what it takes from the layout before. */
export const LAYOUTS: readonly Layout[] = [
  {
    id: 'before',
    label: 'the layout before (still read): hash r/k/t/i + 2 index sets under SHA-256-hex keys',
    change: '–',
    store: 'hash',
    redis: {},
  },
  {
    id: 'listpack',
    label: 'the same with Redis `hash-max-listpack-value 1024`',
    change: 'a Redis setting',
    store: 'hash',
    redis: { 'hash-max-listpack-value': '1024' },
  },
  {
    id: 'keys',
    label: 'hash without `i` (index keys derived from iss/sid/sub), 12-byte issuer hash in index keys',
    change: 'redis-store.ts, redis-scripts.ts',
    store: 'hash',
    noIndexField: true,
    shortKeys: true,
    redis: {},
  },
  {
    id: 'zset',
    label: 'index sets as sorted sets (score = expiry: listpack-encoded, and prunable by score)',
    change: 'redis-store.ts, redis-scripts.ts',
    store: 'hash',
    sortedIndexes: true,
    redis: {},
  },
  {
    id: 'hash-all',
    label: 'the three above together (still a hash)',
    change: 'a Redis setting + redis-store.ts, redis-scripts.ts',
    store: 'hash',
    noIndexField: true,
    shortKeys: true,
    sortedIndexes: true,
    redis: { 'hash-max-listpack-value': '1024' },
  },
  {
    id: 'json-all',
    label: 'one string key (the record as JSON) + short index keys + sorted-set indexes',
    change: 'redis-store.ts, redis-scripts.ts (touch/updateTokens rewrite the value)',
    store: 'json',
    shortKeys: true,
    sortedIndexes: true,
    redis: {},
  },
  {
    id: 'now',
    label:
      'as the BFF stores it now: one compact string (format 1: JWT parts as bytes, DEFLATE with a preset dictionary) + 2 index strings `u:`/`o:`',
    change: 'redis-codec.ts, redis-store.ts, redis-scripts.ts (done)',
    store: 'bff',
    redis: {},
  },
  {
    id: 'opaque-before',
    label: 'for scale: the layout before, with a 43-character opaque access token instead of the JWT',
    change: 'the IdP issuing reference tokens (every API then introspects each one)',
    store: 'hash',
    opaque: true,
    redis: {},
  },
  {
    id: 'opaque-now',
    label: 'for scale: as the BFF stores it now, with a 43-character opaque access token',
    change: 'reference tokens',
    store: 'bff',
    opaque: true,
    redis: {},
  },
];

const sha = (text: string) => createHash('sha256').update(text).digest();

/**
 * Writes `record` under id `id` in one of the layouts and answers its bytes (session key + index keys).
 * The Redis is private and flushed first, so every layout starts from nothing.
 */
export async function layoutBytes(
  client: Redis,
  url: string,
  layout: Layout,
  id: string,
  realRecord: SessionRecord,
  ttlMs: number,
): Promise<LayoutBytes> {
  await client.flushall();
  // An opaque access token as an IdP can issue instead of a JWT (the APIs then introspect it).
  const record = layout.opaque
    ? { ...realRecord, tokens: { ...realRecord.tokens, accessToken: 'o'.repeat(43) } }
    : realRecord;
  const prefix = 'gh:';
  const issHex = sha(record.iss).toString('hex');
  const issShort = sha(record.iss).subarray(0, 12).toString('base64url');
  const { tokens, lastSeenAt, ...body } = record;
  const indexKeys = (short: boolean | undefined) => {
    const iss = short ? issShort : issHex;
    return [
      ...(record.sid ? [`${prefix}sid:${iss}:${record.sid}`] : []),
      `${prefix}sub:${iss}:${record.sub}`,
    ];
  };
  const session = `${prefix}s:${id}`;
  const writeIndexes = async (keys: string[], sorted: boolean | undefined) => {
    for (const key of keys) {
      if (sorted) await client.zadd(key, Date.now() + ttlMs, id);
      else await client.sadd(key, id);
      await client.pexpire(key, ttlMs);
    }
  };
  if (layout.store === 'bff') {
    // RedisSessionStore itself: its keys are whatever it wrote (the server was flushed).
    const store = new RedisSessionStore({ url, keyPrefix: prefix });
    try {
      await store.create(id, record, ttlMs);
    } finally {
      await store.close();
    }
    const written = await client.keys(`${prefix}*`);
    const keys = [session, ...written.filter((key) => key !== session).sort()];
    return bytesOf(client, keys);
  }
  switch (layout.store) {
    case 'hash': {
      const keys = indexKeys(layout.shortKeys);
      const fields = ['r', JSON.stringify(body), 'k', JSON.stringify(tokens), 't', String(lastSeenAt)];
      if (!layout.noIndexField) fields.push('i', JSON.stringify(keys));
      await client.hset(session, ...fields);
      await client.pexpire(session, ttlMs);
      await writeIndexes(keys, layout.sortedIndexes);
      break;
    }
    case 'json': {
      const keys = indexKeys(layout.shortKeys);
      await client.set(session, JSON.stringify(record), 'PX', ttlMs);
      await writeIndexes(keys, layout.sortedIndexes);
      break;
    }
  }
  return bytesOf(client, [session, ...indexKeys(layout.shortKeys)]);
}

/** `MEMORY USAGE` of the session key (first) and its index keys. */
async function bytesOf(client: Redis, keys: readonly string[]): Promise<LayoutBytes> {
  const bytes: number[] = [];
  for (const key of keys) bytes.push(await memoryUsage(client, key));
  return {
    total: bytes.reduce((sum, value) => sum + value, 0),
    session: bytes[0] ?? 0,
    indexes: bytes.slice(1),
  };
}
