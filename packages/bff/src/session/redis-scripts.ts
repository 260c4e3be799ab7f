// Lua scripts of the Redis session store. Each runs atomically on the server, so a refresh, a touch, a
// delete and a back-channel logout can interleave in any order without one undoing another.
//
// A session is a hash with fields r (record JSON without tokens and lastSeenAt), k (tokens JSON),
// t (lastSeenAt) and i (JSON array of the index set keys that list it). Scripts that follow set members
// build session keys from the prefix, so they assume one Redis node (or a prefix with a hash tag).
import { createHash } from 'node:crypto';

/** A Lua script and the SHA-1 that `EVALSHA` knows it by. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

const script = (name: string, source: string): LuaScript => ({
  name,
  source,
  sha: createHash('sha1').update(source).digest('hex'),
});

/** Removes session id `id` from every index set listed in the JSON `list` (the `i` field). */
const UNINDEX = `
local function unindex(list, id)
  if not list then return end
  local ok, keys = pcall(cjson.decode, list)
  if not ok or type(keys) ~= 'table' then return end
  for _, key in ipairs(keys) do
    if type(key) == 'string' then redis.call('SREM', key, id) end
  end
end
`;

/**
 * KEYS: session key, then its index sets. ARGV: id, r, k, t, ttl, i, prefix.
 * Replaces any previous session under the id, prunes index members whose session is gone, adds the id to
 * each index set and makes each set live at least as long as the session.
 */
export const CREATE = script(
  'create',
  `${UNINDEX}
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
`,
);

/** KEYS: session key. ARGV: tokens JSON. Writes `k` only if the session still exists. */
export const UPDATE_TOKENS = script(
  'updateTokens',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'k', ARGV[1])
return 1
`,
);

/**
 * KEYS: session key. ARGV: lastSeenAt, ttl. Writes `t` and extends the TTL only if the session still
 * exists, and keeps its index sets alive at least as long.
 */
export const TOUCH = script(
  'touch',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
local list = redis.call('HGET', KEYS[1], 'i')
if list then
  local ok, keys = pcall(cjson.decode, list)
  if ok and type(keys) == 'table' then
    for _, key in ipairs(keys) do
      if type(key) == 'string' then
        local left = redis.call('PTTL', key)
        if left >= 0 and left < ttl then redis.call('PEXPIRE', key, ttl) end
      end
    end
  end
end
return 1
`,
);

/** KEYS: session key. ARGV: id. Deletes the session and its index entries; 1 when it existed. */
export const DELETE = script(
  'delete',
  `${UNINDEX}
unindex(redis.call('HGET', KEYS[1], 'i'), ARGV[1])
return redis.call('DEL', KEYS[1])
`,
);

/**
 * KEYS: an index set. ARGV: prefix. Deletes every session the set lists (and their entries in other
 * index sets), then the set; answers the ids of the sessions that existed.
 */
export const DELETE_INDEXED = script(
  'deleteIndexed',
  `${UNINDEX}
local deleted = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. 's:' .. id
  unindex(redis.call('HGET', key, 'i'), id)
  if redis.call('DEL', key) == 1 then deleted[#deleted + 1] = id end
end
redis.call('DEL', KEYS[1])
return deleted
`,
);

/** KEYS: lock key. ARGV: owner. Deletes the lock only if `owner` holds it; 1 when released. */
export const RELEASE_LOCK = script(
  'releaseLock',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);
