import { StoreUnavailableError } from '../errors.js';
import { frozenCopy, OptionProblems, ttlMillis } from './codec.js';
import type { LoginTransaction, SessionRecord, SessionStore, SessionTokens } from './types.js';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Most sessions kept; when full, the least recently created or touched one is evicted. Default 100 000. */
  readonly maxSessions?: number;
  /** Most login transactions kept; when full, the oldest is evicted. Default 10 000. */
  readonly maxTransactions?: number;
  /** Most locks kept; when full, the oldest is evicted. Default 10 000. */
  readonly maxLocks?: number;
  /** Most `markOnce` keys kept; when full, the oldest is forgotten. Default 100 000. */
  readonly maxMarks?: number;
  /** How often expired entries are swept (an unref'd timer; reads also check expiry). Default 60 000 ms. */
  readonly sweepIntervalMs?: number;
  /** The clock, in epoch milliseconds (tests inject one). Default `Date.now()`. */
  readonly now?: () => number;
}

/** Entry counts of a {@link MemorySessionStore}, for metrics and tests. */
export interface MemorySessionStoreStats {
  readonly sessions: number;
  readonly transactions: number;
  readonly locks: number;
  readonly marks: number;
  /** Session ids held by the `iss`+`sid` index, summed over all its keys. */
  readonly sidIndexEntries: number;
  /** Session ids held by the `iss`+`sub` index, summed over all its keys. */
  readonly subIndexEntries: number;
}

interface SessionEntry {
  /** Frozen; replaced (copy on write) by `updateTokens` and `touch`, so callers can hold on to it. */
  record: SessionRecord;
  expiresAt: number;
  readonly sidKey: string | undefined;
  readonly subKey: string;
}

interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

const KNOWN_OPTIONS = ['maxSessions', 'maxTransactions', 'maxLocks', 'maxMarks', 'sweepIntervalMs', 'now'];

/** An index key for `value` at issuer `iss`; the length prefix keeps `(a:b, c)` and `(a, b:c)` apart. */
const indexKey = (iss: string, value: string): string => `${iss.length}:${iss}:${value}`;

function addToIndex(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (ids) ids.add(id);
  else index.set(key, new Set([id]));
}

function removeFromIndex(index: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return;
  const ids = index.get(key);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
}

/** Deletes the oldest entries of `map` (insertion order) until one more fits under `max`. */
function makeRoom<K, V>(map: Map<K, V>, max: number, evict: (key: K, value: V) => void): void {
  while (map.size >= max) {
    const oldest = map.entries().next();
    if (oldest.done) return;
    evict(oldest.value[0], oldest.value[1]);
  }
}

function sweepExpired<T>(map: Map<string, Expiring<T>>, now: number): void {
  for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
}

const indexSize = (index: Map<string, Set<string>>): number => {
  let total = 0;
  for (const ids of index.values()) total += ids.size;
  return total;
};

/**
 * A {@link SessionStore} in this process's memory: for development, tests and single-instance deployments
 * (sessions die with the process and are not shared between instances; use `RedisSessionStore` for that).
 *
 * Every map is bounded: when one is full the oldest entry is evicted (sessions: least recently created or
 * touched), so memory never grows without limit. Entries expire by TTL, checked on every read and swept
 * periodically. `get` is one map lookup and answers a frozen record without copying; writes copy.
 *
 * @example
 * const store = new MemorySessionStore({ maxSessions: 10_000 });
 * await store.create(newSessionId(), record, 8 * 60 * 60 * 1000);
 */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory';

  readonly #sessions = new Map<string, SessionEntry>();
  readonly #bySid = new Map<string, Set<string>>();
  readonly #bySub = new Map<string, Set<string>>();
  readonly #transactions = new Map<string, Expiring<LoginTransaction>>();
  readonly #locks = new Map<string, Expiring<string>>();
  readonly #marks = new Map<string, Expiring<true>>();
  readonly #maxSessions: number;
  readonly #maxTransactions: number;
  readonly #maxLocks: number;
  readonly #maxMarks: number;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: MemorySessionStoreOptions = {}) {
    const check = new OptionProblems('MemorySessionStore', options, KNOWN_OPTIONS);
    this.#maxSessions = check.integer('maxSessions', options.maxSessions, 100_000, 1, 100_000_000);
    this.#maxTransactions = check.integer('maxTransactions', options.maxTransactions, 10_000, 1, 10_000_000);
    this.#maxLocks = check.integer('maxLocks', options.maxLocks, 10_000, 1, 10_000_000);
    this.#maxMarks = check.integer('maxMarks', options.maxMarks, 100_000, 1, 100_000_000);
    const sweepIntervalMs = check.integer('sweepIntervalMs', options.sweepIntervalMs, 60_000, 10, 86_400_000);
    if (options.now !== undefined && typeof options.now !== 'function') check.add('"now" must be a function');
    check.done();
    this.#now = options.now ?? (() => Date.now());
    this.#sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
    this.#sweeper.unref();
  }

  async create(id: string, record: SessionRecord, ttlMs: number): Promise<void> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'create');
    const existing = this.#sessions.get(id);
    if (existing) this.#removeSession(id, existing);
    makeRoom(this.#sessions, this.#maxSessions, (oldId, entry) => this.#removeSession(oldId, entry));
    const stored = frozenCopy(record);
    const entry: SessionEntry = {
      record: stored,
      expiresAt: this.#now() + ttl,
      sidKey: stored.sid === undefined ? undefined : indexKey(stored.iss, stored.sid),
      subKey: indexKey(stored.iss, stored.sub),
    };
    this.#sessions.set(id, entry);
    if (entry.sidKey !== undefined) addToIndex(this.#bySid, entry.sidKey, id);
    addToIndex(this.#bySub, entry.subKey, id);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    this.#assertOpen();
    return this.#live(id)?.record;
  }

  async updateTokens(id: string, tokens: SessionTokens): Promise<boolean> {
    this.#assertOpen();
    const entry = this.#live(id);
    if (!entry) return false;
    entry.record = Object.freeze({ ...entry.record, tokens: frozenCopy(tokens) });
    return true;
  }

  async touch(id: string, lastSeenAt: number, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'touch');
    const entry = this.#live(id);
    if (!entry) return false;
    entry.record = Object.freeze({ ...entry.record, lastSeenAt });
    entry.expiresAt = this.#now() + ttl;
    // Move to the end of the insertion order: eviction takes the least recently active sessions first.
    this.#sessions.delete(id);
    this.#sessions.set(id, entry);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.#assertOpen();
    const entry = this.#sessions.get(id);
    if (!entry) return false;
    this.#removeSession(id, entry);
    return entry.expiresAt > this.#now();
  }

  async deleteBySid(iss: string, sid: string): Promise<string[]> {
    this.#assertOpen();
    return this.#deleteIndexed(this.#bySid, indexKey(iss, sid));
  }

  async deleteBySub(iss: string, sub: string): Promise<string[]> {
    this.#assertOpen();
    return this.#deleteIndexed(this.#bySub, indexKey(iss, sub));
  }

  async putTransaction(state: string, transaction: LoginTransaction, ttlMs: number): Promise<void> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'putTransaction');
    this.#transactions.delete(state);
    makeRoom(this.#transactions, this.#maxTransactions, (key) => this.#transactions.delete(key));
    this.#transactions.set(state, { value: frozenCopy(transaction), expiresAt: this.#now() + ttl });
  }

  async takeTransaction(state: string): Promise<LoginTransaction | undefined> {
    this.#assertOpen();
    const entry = this.#transactions.get(state);
    if (!entry) return undefined;
    this.#transactions.delete(state);
    return entry.expiresAt > this.#now() ? entry.value : undefined;
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'acquireLock');
    const now = this.#now();
    const held = this.#locks.get(key);
    if (held && held.expiresAt > now) return false;
    this.#locks.delete(key);
    makeRoom(this.#locks, this.#maxLocks, (oldKey) => this.#locks.delete(oldKey));
    this.#locks.set(key, { value: owner, expiresAt: now + ttl });
    return true;
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    this.#assertOpen();
    const held = this.#locks.get(key);
    if (!held) return false;
    const live = held.expiresAt > this.#now();
    if (live && held.value !== owner) return false;
    this.#locks.delete(key);
    return live;
  }

  async markOnce(key: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'markOnce');
    const now = this.#now();
    const mark = this.#marks.get(key);
    if (mark && mark.expiresAt > now) return false;
    this.#marks.delete(key);
    makeRoom(this.#marks, this.#maxMarks, (oldKey) => this.#marks.delete(oldKey));
    this.#marks.set(key, { value: true, expiresAt: now + ttl });
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sessions.clear();
    this.#bySid.clear();
    this.#bySub.clear();
    this.#transactions.clear();
    this.#locks.clear();
    this.#marks.clear();
  }

  /** Drops every expired entry now. Runs on its own every `sweepIntervalMs`. */
  sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#sessions) if (entry.expiresAt <= now) this.#removeSession(id, entry);
    sweepExpired(this.#transactions, now);
    sweepExpired(this.#locks, now);
    sweepExpired(this.#marks, now);
  }

  /** Entry counts (expired entries not yet swept included). */
  stats(): MemorySessionStoreStats {
    return {
      sessions: this.#sessions.size,
      transactions: this.#transactions.size,
      locks: this.#locks.size,
      marks: this.#marks.size,
      sidIndexEntries: indexSize(this.#bySid),
      subIndexEntries: indexSize(this.#bySub),
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the memory session store is closed');
  }

  /** The entry of `id` unless missing or expired (an expired one is removed on the way). */
  #live(id: string): SessionEntry | undefined {
    const entry = this.#sessions.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#now()) return entry;
    this.#removeSession(id, entry);
    return undefined;
  }

  #removeSession(id: string, entry: SessionEntry): void {
    this.#sessions.delete(id);
    removeFromIndex(this.#bySid, entry.sidKey, id);
    removeFromIndex(this.#bySub, entry.subKey, id);
  }

  #deleteIndexed(index: Map<string, Set<string>>, key: string): string[] {
    const ids = index.get(key);
    if (!ids) return [];
    const now = this.#now();
    const deleted: string[] = [];
    for (const id of [...ids]) {
      const entry = this.#sessions.get(id);
      if (!entry) continue;
      this.#removeSession(id, entry);
      if (entry.expiresAt > now) deleted.push(id);
    }
    index.delete(key);
    return deleted;
  }
}
