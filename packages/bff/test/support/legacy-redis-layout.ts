// The Redis session layout before format version 1, written exactly as RedisSessionStore wrote it then (its
// `create` Lua script, copied verbatim): a hash `s:<id>` with fields r, k, t, i, and index sets
// `sid:<sha256hex(iss)>:<sid>` and `sub:<sha256hex(iss)>:<sub>`. For tests of the upgrade path: sessions an
// older instance wrote must stay readable and deletable.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SessionRecord } from '../../src/session/types.js';

const LEGACY_CREATE = `
local function unindex(list, id)
  if not list then return end
  local ok, keys = pcall(cjson.decode, list)
  if not ok or type(keys) ~= 'table' then return end
  for _, key in ipairs(keys) do
    if type(key) == 'string' then redis.call('SREM', key, id) end
  end
end

local id, ttl, prefix = ARGV[1], tonumber(ARGV[5]), ARGV[7]
unindex(redis.call('HGET', KEYS[1], 'i'), id)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'r', ARGV[2], 'k', ARGV[3], 't', ARGV[4], 'i', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ttl)
for n = 2, #KEYS do
  local set = KEYS[n]
  for _, member in ipairs(redis.call('SMEMBERS', set)) do
    if redis.call('EXISTS', prefix .. 's:' .. member) == 0 then redis.call('SREM', set, member) end
  end
  redis.call('SADD', set, id)
  if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
end
return 1
`;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The old layout's index set keys of `record`, sid first. */
export function legacyIndexKeys(
  prefix: string,
  record: Pick<SessionRecord, 'iss' | 'sub' | 'sid'>,
): string[] {
  const keys = [`${prefix}sub:${sha256(record.iss)}:${record.sub}`];
  if (record.sid !== undefined) keys.unshift(`${prefix}sid:${sha256(record.iss)}:${record.sid}`);
  return keys;
}

/** Writes `record` under `id` the way RedisSessionStore did before format version 1. */
export async function writeLegacySession(
  redis: Redis,
  prefix: string,
  id: string,
  record: SessionRecord,
  ttlMs: number,
): Promise<void> {
  const { tokens, lastSeenAt, ...body } = record;
  const indexKeys = legacyIndexKeys(prefix, record);
  await redis.eval(
    LEGACY_CREATE,
    1 + indexKeys.length,
    `${prefix}s:${id}`,
    ...indexKeys,
    id,
    JSON.stringify(body),
    JSON.stringify(tokens),
    String(lastSeenAt),
    ttlMs,
    JSON.stringify(indexKeys),
    prefix,
  );
}
