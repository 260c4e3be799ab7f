// Lua scripts of the Redis session store. Each runs atomically on the server, so a refresh, a touch, a
// delete and a back-channel logout can interleave in any order without one undoing another.
//
// A session `s:<id>` is one string (format version 1, see redis-codec.ts): the scripts read only its header
// (format byte, lastSeenAt at offset 1, the two 12-byte index hashes at 17 and 29) and never decode the rest.
// Its index keys `u:<hash>` (the user: iss and sub) and `o:<hash>` (the OP's session: iss and sid) are
// strings listing session ids, each prefixed by its length in one byte. Each expires with the longest-lived
// session it lists: every script that changes the list sets its TTL again from the sessions' own, so an index
// key never outlives its sessions, nor dies before one of them.
//
// A pending login lives in the hash `login:<binding>` (one per browser: field state, value
// `<expiresAt ms>:<sequence>:<transaction JSON>`, and a counter field `#` that orders them), which expires with
// its newest login; the sorted set `logins` lists every pending state by expiry, for the global ceiling, and
// expires with the newest login of all.
//
// Sessions written before format version 1 (a rolling deploy shares Redis with older instances) are hashes
// with fields r, k, t and i (the JSON list of their index set keys `sid:<sha256hex(iss)>:<sid>` and
// `sub:<sha256hex(iss)>:<sub>`). Every script below still reads, touches, updates and deletes them; nothing
// writes that layout any more.
//
// Scripts that follow index entries build session keys from the prefix, so they assume one Redis node.
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

/** Helpers shared by the scripts: index key names from a session header, index entries, session removal. */
const HELPERS = `
local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
local function b64(bytes)
  local out = {}
  for i = 1, #bytes, 3 do
    local a, b, c = string.byte(bytes, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    for _, d in ipairs({ math.floor(n / 262144), math.floor(n / 4096) % 64, math.floor(n / 64) % 64, n % 64 }) do
      out[#out + 1] = string.sub(B64, d + 1, d + 1)
    end
  end
  return table.concat(out)
end

-- The index keys named by a session header (its first 41 bytes), or nil when it is not format version 1.
local function indexKeys(prefix, head)
  local format = string.byte(head, 1)
  if format == 16 and #head >= 29 then
    return { prefix .. 'u:' .. b64(string.sub(head, 18, 29)) }
  elseif format == 17 and #head >= 41 then
    return { prefix .. 'u:' .. b64(string.sub(head, 18, 29)), prefix .. 'o:' .. b64(string.sub(head, 30, 41)) }
  end
  return nil
end

local function entries(value)
  local list, at = {}, 1
  while value and at <= #value do
    local n = string.byte(value, at)
    if n > 0 then list[#list + 1] = string.sub(value, at + 1, at + n) end
    at = at + 1 + n
  end
  return list
end

local function pack(list)
  local parts = {}
  for _, id in ipairs(list) do parts[#parts + 1] = string.char(#id) .. id end
  return table.concat(parts)
end

-- Writes index key as the sessions of list that still exist, in order, expiring with the longest-lived of
-- them; deletes it when none is left.
local function relist(prefix, key, list)
  local kept, longest = {}, 0
  for _, entry in ipairs(list) do
    local left = redis.call('PTTL', prefix .. 's:' .. entry)
    if left > 0 then
      kept[#kept + 1] = entry
      if left > longest then longest = left end
    end
  end
  if #kept == 0 then redis.call('DEL', key) else redis.call('SET', key, pack(kept), 'PX', longest) end
end

-- Takes id off index key (and entries whose session has gone), fitting its TTL to the sessions left.
local function unlist(prefix, key, id)
  local kept = {}
  for _, entry in ipairs(entries(redis.call('GET', key))) do
    if entry ~= id then kept[#kept + 1] = entry end
  end
  relist(prefix, key, kept)
end

-- A session of the old layout: takes id off every index set its field i lists.
local function unlistLegacy(list, id)
  if not list then return end
  local ok, keys = pcall(cjson.decode, list)
  if not ok or type(keys) ~= 'table' then return end
  for _, key in ipairs(keys) do
    if type(key) == 'string' then redis.call('SREM', key, id) end
  end
end

-- Deletes session id (either layout) and its index entries; 1 when it existed. With only_of, a session of
-- format version 1 is deleted only if that index key is one of its own.
local function drop(prefix, id, only_of)
  local key = prefix .. 's:' .. id
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'string' then
    local keys = indexKeys(prefix, redis.call('GETRANGE', key, 0, 40))
    if keys then
      if only_of then
        local mine = false
        for _, index in ipairs(keys) do mine = mine or index == only_of end
        if not mine then return 0 end
      end
      for _, index in ipairs(keys) do unlist(prefix, index, id) end
    end
  elseif kind == 'hash' then
    unlistLegacy(redis.call('HGET', key, 'i'), id)
  end
  return redis.call('DEL', key)
end
`;

/**
 * KEYS: session key, then its index keys (the user's first). ARGV: id, value, ttl, prefix, most sessions per
 * user (0: no limit).
 * Replaces any previous session under the id (either layout, with its index entries). With a limit, deletes
 * the user's oldest sessions until this one fits, and answers each one's id and value (nil if not a string),
 * oldest first. Then lists the id in each index key, drops entries whose session is gone, and fits each
 * index key's TTL to its sessions.
 */
export const CREATE = script(
  'create',
  `${HELPERS}
local id, ttl, prefix, most = ARGV[1], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
drop(prefix, id)
local displaced = {}
if most > 0 then
  local live = {}
  for _, entry in ipairs(entries(redis.call('GET', KEYS[2]))) do
    if entry ~= id and redis.call('EXISTS', prefix .. 's:' .. entry) == 1 then live[#live + 1] = entry end
  end
  for n = 1, #live - most + 1 do
    local key = prefix .. 's:' .. live[n]
    local value = false
    if redis.call('TYPE', key)['ok'] == 'string' then value = redis.call('GET', key) end
    drop(prefix, live[n])
    displaced[#displaced + 1] = live[n]
    displaced[#displaced + 1] = value
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
for n = 2, #KEYS do
  local list = {}
  for _, entry in ipairs(entries(redis.call('GET', KEYS[n]))) do
    if entry ~= id then list[#list + 1] = entry end
  end
  list[#list + 1] = id
  relist(prefix, KEYS[n], list)
end
return displaced
`,
);

/**
 * KEYS: session key. ARGV: guard (the value as read, without lastSeenAt), the new value. Writes the new value
 * with the stored lastSeenAt and TTL, only if the stored value is still the one read (lastSeenAt aside).
 * 1 written, 0 gone, -1 replaced or rewritten meanwhile (read again).
 */
export const UPDATE_TOKENS = script(
  'updateTokens',
  `
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return 0 end
if kind ~= 'string' then return -1 end
local current, guard, value = redis.call('GET', KEYS[1]), ARGV[1], ARGV[2]
if #current ~= #guard + 8 or string.sub(current, 1, 1) .. string.sub(current, 10) ~= guard then return -1 end
redis.call('SET', KEYS[1], string.sub(value, 1, 1) .. string.sub(current, 2, 9) .. string.sub(value, 10), 'KEEPTTL')
return 1
`,
);

/**
 * KEYS: session key (old layout). ARGV: tokens JSON, and the body JSON when the user changed. Writes field k
 * (and r) if the session is still a hash. 1 written, 0 gone, -1 not a hash any more (read again).
 */
export const UPDATE_TOKENS_LEGACY = script(
  'updateTokensLegacy',
  `
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return 0 end
if kind ~= 'hash' then return -1 end
redis.call('HSET', KEYS[1], 'k', ARGV[1])
if ARGV[2] then redis.call('HSET', KEYS[1], 'r', ARGV[2]) end
return 1
`,
);

/**
 * KEYS: session key. ARGV: lastSeenAt as 8 bytes (float64 BE), ttl, prefix, lastSeenAt as text (old layout).
 * Writes lastSeenAt and sets the TTL only if the session still exists, then fits its index keys' TTLs to
 * their sessions (the old layout's index sets: at least as long as this session). 1 done, 0 gone.
 */
export const TOUCH = script(
  'touch',
  `${HELPERS}
local key, ttl, prefix = KEYS[1], tonumber(ARGV[2]), ARGV[3]
local kind = redis.call('TYPE', key)['ok']
local indexes
if kind == 'string' then
  indexes = indexKeys(prefix, redis.call('GETRANGE', key, 0, 40))
  if not indexes then return 0 end
  redis.call('SETRANGE', key, 1, ARGV[1])
  redis.call('PEXPIRE', key, ttl)
  for _, index in ipairs(indexes) do relist(prefix, index, entries(redis.call('GET', index))) end
  return 1
elseif kind == 'hash' then
  redis.call('HSET', key, 't', ARGV[4])
  indexes = {}
  local ok, keys = pcall(cjson.decode, redis.call('HGET', key, 'i') or '')
  if ok and type(keys) == 'table' then
    for _, index in ipairs(keys) do
      if type(index) == 'string' then indexes[#indexes + 1] = index end
    end
  end
else
  return 0
end
redis.call('PEXPIRE', key, ttl)
for _, index in ipairs(indexes) do
  local left = redis.call('PTTL', index)
  if left >= 0 and left < ttl then redis.call('PEXPIRE', index, ttl) end
end
return 1
`,
);

/** KEYS: session key. ARGV: id, prefix. Deletes the session and its index entries; 1 when it existed. */
export const DELETE = script(
  'delete',
  `${HELPERS}
return drop(ARGV[2], ARGV[1])
`,
);

/**
 * KEYS: an index key, then the old layout's index set for the same iss and sid or sub. ARGV: prefix.
 * Deletes every session they list (and their entries in other index keys), then both keys; answers the ids
 * of the sessions that existed.
 */
export const DELETE_INDEXED = script(
  'deleteIndexed',
  `${HELPERS}
local prefix, deleted = ARGV[1], {}
for _, id in ipairs(entries(redis.call('GET', KEYS[1]))) do
  if drop(prefix, id, KEYS[1]) == 1 then deleted[#deleted + 1] = id end
end
redis.call('DEL', KEYS[1])
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if drop(prefix, id) == 1 then deleted[#deleted + 1] = id end
end
redis.call('DEL', KEYS[2])
return deleted
`,
);

/** The milliseconds of Redis's own clock, read inside a script (the same clock for every instance). */
const NOW = `
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
`;

/**
 * KEYS: `login:<binding>`, `logins`. ARGV: state, transaction JSON, ttl, most per binding, most in all.
 * Drops expired logins (this binding's, and from `logins`), then this binding's oldest beyond its limit to
 * make room; refuses (0, nothing written) when `logins` would still hold the most in all; else stores the
 * login (1), and makes each key live at least as long as it.
 */
export const PUT_TRANSACTION = script(
  'putTransaction',
  `${NOW}
local state, ttl, per, total = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('HDEL', KEYS[1], state)
redis.call('ZREM', KEYS[2], state)
local mine, fields = {}, redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local name = fields[i]
  if name ~= '#' then
    local at, seq = string.match(fields[i + 1], '^(%d+):(%d+):')
    if at and tonumber(at) > now then
      mine[#mine + 1] = { name, tonumber(seq) }
    else
      redis.call('HDEL', KEYS[1], name)
      redis.call('ZREM', KEYS[2], name)
    end
  end
end
table.sort(mine, function(a, b) return a[2] < b[2] end)
local over = math.max(0, #mine + 1 - per)
if redis.call('ZCARD', KEYS[2]) - over >= total then return 0 end
for n = 1, over do
  redis.call('HDEL', KEYS[1], mine[n][1])
  redis.call('ZREM', KEYS[2], mine[n][1])
end
local expires = now + ttl
local seq = redis.call('HINCRBY', KEYS[1], '#', 1)
redis.call('HSET', KEYS[1], state, expires .. ':' .. seq .. ':' .. ARGV[2])
redis.call('ZADD', KEYS[2], expires, state)
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
return 1
`,
);

/**
 * KEYS: `login:<binding>`, `logins`. ARGV: state. Takes the login out of both keys (deleting the hash once
 * only its counter is left) and answers its JSON, or nil when there was none or it had expired.
 */
export const TAKE_TRANSACTION = script(
  'takeTransaction',
  `
local state = ARGV[1]
if state == '#' then return false end
local value = redis.call('HGET', KEYS[1], state)
if not value then return false end
redis.call('HDEL', KEYS[1], state)
redis.call('ZREM', KEYS[2], state)
if redis.call('HLEN', KEYS[1]) == 1 and redis.call('HEXISTS', KEYS[1], '#') == 1 then
  redis.call('DEL', KEYS[1])
end
${NOW}
local at, json = string.match(value, '^(%d+):%d+:(.*)$')
if not at or tonumber(at) <= now then return false end
return json
`,
);

/**
 * KEYS: counter key. ARGV: window (ms). Counts one hit; the first starts the window (the key's TTL).
 * Answers { count, milliseconds left }.
 */
export const COUNT_HIT = script(
  'countHit',
  `
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if count == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return { count, left }
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
