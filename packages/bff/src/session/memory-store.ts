import type { IdentityUser } from '@gatehouse/policy';
import { LRUCache } from 'lru-cache';
import { StoreUnavailableError } from '../errors.js';
import {
  frozenCopy,
  handoffValue,
  OptionProblems,
  sessionLimit,
  transactionLimits,
  ttlMillis,
} from './codec.js';
import { withActiveTenant } from './tenant.js';
import type {
  DisplacedSession,
  HitCount,
  LoginTransaction,
  SessionLimits,
  SessionRecord,
  SessionStore,
  SessionTokens,
  StoredSession,
  TransactionLimits,
} from './types.js';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Most sessions kept; when full, the least recently created or touched one is evicted. Default 100 000. */
  readonly maxSessions?: number;
  /**
   * Most login transactions kept at all; when full, new ones are refused (never evicting a pending one).
   * The caller's `limits.total` applies too, the lower of the two wins. Default 10 000.
   */
  readonly maxTransactions?: number;
  /** Most locks kept; when full, the oldest is evicted. Default 10 000. */
  readonly maxLocks?: number;
  /** Most `markOnce` keys kept; when full, the oldest is forgotten. Default 100 000. */
  readonly maxMarks?: number;
  /** Most `countHit` keys kept; when full, the oldest is forgotten (its count starts again). Default 100 000. */
  readonly maxCounters?: number;
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
  readonly counters: number;
  /** Session ids held by the `iss`+`sid` index, summed over all its keys. */
  readonly sidIndexEntries: number;
  /** Session ids held by the `iss`+`sub` index, summed over all its keys. */
  readonly subIndexEntries: number;
}

/** A pending login as the store keeps it. */
interface PendingLogin {
  readonly transaction: LoginTransaction;
  /** Epoch milliseconds on the store's clock. */
  readonly expiresAt: number;
}

interface SessionEntry {
  /** Frozen; replaced (copy on write) by `updateTokens` and `touch`, so callers can hold on to it. */
  record: SessionRecord;
  readonly sidKey: string | undefined;
  readonly subKey: string;
}

const KNOWN_OPTIONS = [
  'maxSessions',
  'maxTransactions',
  'maxLocks',
  'maxMarks',
  'maxCounters',
  'sweepIntervalMs',
  'now',
];

/** A `countHit` window: its count so far and when it ends (store clock). */
interface HitWindow {
  count: number;
  readonly endsAt: number;
}

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

/**
 * At most `max` entries, each with its own TTL on the store's clock; when full, a `set` evicts the entry set
 * least recently. Reads use `peek`, which answers only live entries and leaves the order alone, so eviction
 * follows writes (create, touch), never reads.
 */
function boundedMap<V extends {}>(
  max: number,
  now: () => number,
  dispose?: LRUCache.Disposer<string, V>,
): LRUCache<string, V> {
  return new LRUCache<string, V>({
    // Bounded as a size of one per entry rather than by `max`, which would allocate every slot up front
    // (about 56 bytes each): memory follows what is stored, as the limits may be set far above it.
    maxSize: max,
    sizeCalculation: () => 1,
    // Read the clock on every check instead of caching it for 1 ms: tests move an injected clock by hand.
    ttlResolution: 0,
    perf: { now },
    ...(dispose ? { dispose } : {}),
  });
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
 * Sessions, locks and marks are each an `LRUCache` of lru-cache, bounded by a count: when one is full the
 * entry written least recently is evicted (sessions: least recently created or touched), so memory never
 * grows without limit. Login transactions are kept per binding (browser), at most `limits.perBinding` each,
 * and when the store holds its most a new browser's login is refused rather than evicting a pending one.
 * Entries expire by TTL, checked on every read and swept periodically. `get` is one lookup and answers a
 * frozen record without copying; writes copy.
 *
 * @example
 * const store = new MemorySessionStore({ maxSessions: 10_000 });
 * await store.create(newSessionId(), record, 8 * 60 * 60 * 1000);
 */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory';

  readonly #sessions: LRUCache<string, SessionEntry>;
  readonly #bySid = new Map<string, Set<string>>();
  readonly #bySub = new Map<string, Set<string>>();
  /** `state` → pending login, in the order they were stored (so the oldest, first to expire, come first). */
  readonly #logins = new Map<string, PendingLogin>();
  /** Binding → the states of its pending logins, oldest first. */
  readonly #loginsByBinding = new Map<string, string[]>();
  readonly #maxTransactions: number;
  readonly #now: () => number;
  /** One-request handoffs, bounded by maxTransactions too (the oldest is dropped when full). */
  readonly #handoffs: LRUCache<string, string>;
  readonly #locks: LRUCache<string, string>;
  readonly #marks: LRUCache<string, true>;
  readonly #counters: LRUCache<string, HitWindow>;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: MemorySessionStoreOptions = {}) {
    const check = new OptionProblems('MemorySessionStore', options, KNOWN_OPTIONS);
    const maxSessions = check.integer('maxSessions', options.maxSessions, 100_000, 1, 100_000_000);
    const maxTransactions = check.integer('maxTransactions', options.maxTransactions, 10_000, 1, 10_000_000);
    const maxLocks = check.integer('maxLocks', options.maxLocks, 10_000, 1, 10_000_000);
    const maxMarks = check.integer('maxMarks', options.maxMarks, 100_000, 1, 100_000_000);
    const maxCounters = check.integer('maxCounters', options.maxCounters, 100_000, 1, 100_000_000);
    const sweepIntervalMs = check.integer('sweepIntervalMs', options.sweepIntervalMs, 60_000, 10, 86_400_000);
    if (options.now !== undefined && typeof options.now !== 'function') check.add('"now" must be a function');
    check.done();
    const now = options.now ?? (() => Date.now());
    this.#now = now;
    this.#maxTransactions = maxTransactions;
    // Whenever a session leaves (deleted, replaced, evicted or expired), its index entries leave with it.
    this.#sessions = boundedMap<SessionEntry>(maxSessions, now, (entry, id) => {
      removeFromIndex(this.#bySid, entry.sidKey, id);
      removeFromIndex(this.#bySub, entry.subKey, id);
    });
    this.#handoffs = boundedMap(maxTransactions, now);
    this.#locks = boundedMap(maxLocks, now);
    this.#marks = boundedMap(maxMarks, now);
    this.#counters = boundedMap(maxCounters, now);
    this.#sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
    this.#sweeper.unref();
  }

  async create(
    id: string,
    record: SessionRecord,
    ttlMs: number,
    limits?: SessionLimits,
  ): Promise<readonly DisplacedSession[]> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'create');
    const maxPerUser = sessionLimit(limits);
    const stored = frozenCopy(record);
    const entry: SessionEntry = {
      record: stored,
      sidKey: stored.sid === undefined ? undefined : indexKey(stored.iss, stored.sid),
      subKey: indexKey(stored.iss, stored.sub),
    };
    const displaced = maxPerUser === undefined ? [] : this.#displace(entry.subKey, id, maxPerUser - 1);
    this.#sessions.set(id, entry, { ttl });
    if (entry.sidKey !== undefined) addToIndex(this.#bySid, entry.sidKey, id);
    addToIndex(this.#bySub, entry.subKey, id);
    return displaced;
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    this.#assertOpen();
    return this.#sessions.peek(id)?.record;
  }

  async updateTokens(id: string, tokens: SessionTokens, user?: IdentityUser): Promise<boolean> {
    this.#assertOpen();
    const entry = this.#sessions.peek(id);
    if (!entry) return false;
    entry.record = Object.freeze({
      ...entry.record,
      tokens: frozenCopy(tokens),
      ...(user ? { user: frozenCopy(user) } : {}),
    });
    return true;
  }

  async setActiveTenant(id: string, tenant: string | undefined, expireTokens?: boolean): Promise<boolean> {
    this.#assertOpen();
    const entry = this.#sessions.peek(id);
    if (!entry) return false;
    entry.record = frozenCopy(withActiveTenant(entry.record, tenant, expireTokens));
    return true;
  }

  async touch(id: string, lastSeenAt: number, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'touch');
    const entry = this.#sessions.peek(id);
    if (!entry) return false;
    entry.record = Object.freeze({ ...entry.record, lastSeenAt });
    // Setting it again renews its TTL and makes it the most recent: eviction takes the least active first.
    this.#sessions.set(id, entry, { ttl });
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.#assertOpen();
    const live = this.#sessions.peek(id) !== undefined;
    this.#sessions.delete(id);
    return live;
  }

  async deleteBySid(iss: string, sid: string): Promise<string[]> {
    this.#assertOpen();
    return this.#deleteIndexed(this.#bySid, indexKey(iss, sid));
  }

  async deleteBySub(iss: string, sub: string): Promise<string[]> {
    this.#assertOpen();
    return this.#deleteIndexed(this.#bySub, indexKey(iss, sub));
  }

  async listBySub(iss: string, sub: string): Promise<readonly StoredSession[]> {
    this.#assertOpen();
    const listed: StoredSession[] = [];
    for (const id of this.#bySub.get(indexKey(iss, sub)) ?? []) {
      const record = this.#sessions.peek(id)?.record;
      if (record) listed.push({ id, record });
    }
    return listed;
  }

  async putTransaction(
    state: string,
    transaction: LoginTransaction,
    ttlMs: number,
    limits?: TransactionLimits,
  ): Promise<boolean> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'putTransaction');
    const { perBinding, total } = transactionLimits(limits);
    const now = this.#now();
    // The same state again replaces the login it named.
    this.#dropLogin(state);
    this.#expireOldestLogins(now);
    const mine = this.#liveLogins(transaction.binding, now);
    // This browser's oldest make room for its new one; only a new browser can find the store full.
    const over = Math.max(0, mine.length + 1 - perBinding);
    if (this.#logins.size - over >= Math.min(total, this.#maxTransactions)) return false;
    for (const old of mine.slice(0, over)) this.#dropLogin(old);
    const stored = frozenCopy(transaction);
    this.#logins.set(state, { transaction: stored, expiresAt: now + ttl });
    const states = this.#loginsByBinding.get(stored.binding);
    if (states) states.push(state);
    else this.#loginsByBinding.set(stored.binding, [state]);
    return true;
  }

  async takeTransaction(state: string, binding: string): Promise<LoginTransaction | undefined> {
    this.#assertOpen();
    const login = this.#logins.get(state);
    // Another browser's request leaves the login alone: it can neither read nor spend it.
    if (login === undefined || login.transaction.binding !== binding) return undefined;
    this.#dropLogin(state);
    return login.expiresAt > this.#now() ? login.transaction : undefined;
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'acquireLock');
    if (this.#locks.peek(key) !== undefined) return false;
    this.#locks.set(key, owner, { ttl });
    return true;
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    this.#assertOpen();
    const held = this.#locks.peek(key);
    if (held !== undefined && held !== owner) return false;
    // A lock that has expired is gone either way, but releasing it answers false.
    return this.#locks.delete(key) && held !== undefined;
  }

  async markOnce(key: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'markOnce');
    if (this.#marks.peek(key) !== undefined) return false;
    this.#marks.set(key, true, { ttl });
    return true;
  }

  async countHit(key: string, windowMs: number): Promise<HitCount> {
    this.#assertOpen();
    const ttl = ttlMillis(windowMs, 'countHit');
    const now = this.#now();
    const window = this.#counters.peek(key);
    if (window === undefined) {
      this.#counters.set(key, { count: 1, endsAt: now + ttl }, { ttl });
      return { count: 1, resetInMs: ttl };
    }
    window.count++;
    // A new object each time: a caller holding an earlier answer never sees it change.
    return { count: window.count, resetInMs: Math.max(0, window.endsAt - now) };
  }

  async putHandoff(key: string, value: string, ttlMs: number): Promise<void> {
    this.#assertOpen();
    const ttl = ttlMillis(ttlMs, 'putHandoff');
    this.#handoffs.set(key, handoffValue(value), { ttl });
  }

  async takeHandoff(key: string): Promise<string | undefined> {
    this.#assertOpen();
    const value = this.#handoffs.peek(key);
    this.#handoffs.delete(key);
    return value;
  }

  async readHandoff(key: string): Promise<string | undefined> {
    this.#assertOpen();
    return this.#handoffs.peek(key);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#bySid.clear();
    this.#bySub.clear();
    this.#sessions.clear();
    this.#logins.clear();
    this.#loginsByBinding.clear();
    this.#locks.clear();
    this.#marks.clear();
    this.#counters.clear();
    this.#handoffs.clear();
  }

  /** Drops every expired entry now. Runs on its own every `sweepIntervalMs`. */
  sweep(): void {
    this.#sessions.purgeStale();
    const now = this.#now();
    for (const [state, login] of this.#logins) if (login.expiresAt <= now) this.#dropLogin(state);
    this.#locks.purgeStale();
    this.#marks.purgeStale();
    this.#counters.purgeStale();
    this.#handoffs.purgeStale();
  }

  /** Entry counts (expired entries not yet swept included). */
  stats(): MemorySessionStoreStats {
    return {
      sessions: this.#sessions.size,
      transactions: this.#logins.size,
      locks: this.#locks.size,
      marks: this.#marks.size,
      counters: this.#counters.size,
      sidIndexEntries: indexSize(this.#bySid),
      subIndexEntries: indexSize(this.#bySub),
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the memory session store is closed');
  }

  /**
   * Ends the user's oldest live sessions (by creation: the index keeps insertion order) so that at most
   * `keep` remain besides `id`; answers them, oldest first.
   */
  #displace(subKey: string, id: string, keep: number): DisplacedSession[] {
    const ids = this.#bySub.get(subKey);
    if (!ids) return [];
    const live = [...ids].filter((other) => other !== id && this.#sessions.peek(other) !== undefined);
    const displaced: DisplacedSession[] = [];
    for (const other of live.slice(0, Math.max(0, live.length - keep))) {
      displaced.push({ id: other, record: this.#sessions.peek(other)?.record });
      this.#sessions.delete(other);
    }
    return displaced;
  }

  /**
   * Drops expired logins from the oldest on. The BFF gives every login the same TTL, so the oldest expire
   * first and this stops at the first live one; one with a shorter TTL stored after a longer one waits for
   * the sweep (or its take).
   */
  #expireOldestLogins(now: number): void {
    for (const [state, login] of this.#logins) {
      if (login.expiresAt > now) return;
      this.#dropLogin(state);
    }
  }

  /** The live pending logins of `binding`, oldest first (dropping its expired ones). */
  #liveLogins(binding: string, now: number): string[] {
    const states = this.#loginsByBinding.get(binding) ?? [];
    for (const state of [...states]) {
      if ((this.#logins.get(state)?.expiresAt ?? 0) <= now) this.#dropLogin(state);
    }
    return [...(this.#loginsByBinding.get(binding) ?? [])];
  }

  #dropLogin(state: string): void {
    const login = this.#logins.get(state);
    if (login === undefined) return;
    this.#logins.delete(state);
    const binding = login.transaction.binding;
    const states = this.#loginsByBinding.get(binding);
    if (!states) return;
    const at = states.indexOf(state);
    if (at !== -1) states.splice(at, 1);
    if (states.length === 0) this.#loginsByBinding.delete(binding);
  }

  #deleteIndexed(index: Map<string, Set<string>>, key: string): string[] {
    const ids = index.get(key);
    if (!ids) return [];
    const deleted: string[] = [];
    for (const id of [...ids]) {
      if (this.#sessions.peek(id) !== undefined) deleted.push(id);
      this.#sessions.delete(id);
    }
    index.delete(key);
    return deleted;
  }
}
