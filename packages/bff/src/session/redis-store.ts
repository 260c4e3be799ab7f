import { createHash } from 'node:crypto';
import { deepFreeze, type IdentityUser } from '@gatehouse/policy';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../errors.js';
import {
  handoffValue,
  isLoginTransaction,
  isSessionBody,
  isSessionTokens,
  OptionProblems,
  parseJson,
  sessionLimit,
  transactionLimits,
  ttlMillis,
} from './codec.js';
import {
  decodeSession,
  encodeSession,
  encodeTime,
  indexesOf,
  indexHash,
  sessionGuard,
} from './redis-codec.js';
import { connectRedis, isRedisUrl, type RedisClient, type RedisTarget } from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';
import {
  COUNT_HIT,
  CREATE,
  DELETE,
  DELETE_INDEXED,
  type LuaScript,
  PUT_TRANSACTION,
  RELEASE_LOCK,
  TAKE_TRANSACTION,
  TOUCH,
  UPDATE_TOKENS,
  UPDATE_TOKENS_LEGACY,
} from './redis-scripts.js';
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

/** Options of {@link RedisSessionStore}: exactly one of `url`, `cluster`, `sentinel` and `client`. */
export interface RedisSessionStoreOptions {
  /** `redis://` or `rediss://` URL; the store makes (and on `close`, quits) its own fail-fast client. */
  readonly url?: string;
  /**
   * A Redis Cluster: URLs of some of its nodes (seeds). Keys that a script touches together carry one hash
   * tag (see redis-keys.ts); writes go to primaries, and the client follows a failover to a promoted replica.
   */
  readonly cluster?: readonly string[];
  /** One primary with replicas behind Sentinel: the primary's name and the URLs of some sentinels. */
  readonly sentinel?: { readonly name: string; readonly sentinels: readonly string[] };
  /**
   * An existing ioredis client (`Redis` or `Cluster`), shared with other code. The store leaves its options
   * alone and does not quit it on `close`; it still refuses to queue commands while the client is not ready.
   */
  readonly client?: RedisClient;
  /** Prefix of every key. Default `gh:`. */
  readonly keyPrefix?: string;
  /** How long the first connection may take before calls fail. Default 1 000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long one call may take before it fails with `StoreUnavailableError`. Default 1 000 ms. */
  readonly commandTimeoutMs?: number;
  /** Longest pause between two reconnection attempts (the backoff doubles from 100 ms). Default 2 000 ms. */
  readonly maxReconnectDelayMs?: number;
  /**
   * Replicas that must have a session write (create, refresh, delete, logout) and a lock before the call
   * answers (`WAIT`), so that a primary's failover loses none of them. Default 0 (no wait); the BFF asks for
   * 1 on a cluster and behind Sentinel (`GATEHOUSE_REDIS_WAIT_REPLICAS`).
   */
  readonly waitReplicas?: number;
  /** Told about connection errors (already wrapped), for logs. Never given secrets. */
  readonly onError?: (error: StoreUnavailableError) => void;
}

const KNOWN_OPTIONS = [
  'url',
  'cluster',
  'sentinel',
  'client',
  'keyPrefix',
  'connectTimeoutMs',
  'commandTimeoutMs',
  'maxReconnectDelayMs',
  'waitReplicas',
  'onError',
];

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What a read of a session key found: the value, nothing, or a hash of the old layout. */
const LEGACY = Symbol('legacy session');

const isWrongType = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith('WRONGTYPE');

/** Longest session id the index keys can list (each entry carries its length in one byte). */
const MAX_ID_BYTES = 255;

/** Scripts whose writes `waitReplicas` waits for: a session stored, refreshed or ended must survive a failover. */
const DURABLE = new Set<LuaScript>([CREATE, UPDATE_TOKENS, UPDATE_TOKENS_LEGACY, DELETE, DELETE_INDEXED]);

/** Longest wait for replicas after a session write: replication on a LAN takes well under a millisecond. */
const REPLICA_WAIT_MS = 100;

/**
 * How long writes stop waiting for replicas after a `WAIT` found too few (a primary just promoted has none).
 * `WAIT` blocks the connection it runs on, and every command of the store shares that connection: with no
 * replica to answer, each write would hold all the others for `REPLICA_WAIT_MS`, and under load the store
 * would never catch up (seen: a 1,000-session load never recovered from a failover). Nothing waited for can
 * be replicated meanwhile anyway.
 */
const REPLICAS_SHORT_MS = 5_000;

/** Attempts of `updateTokens` when the session is replaced under it between its read and its write. */
const UPDATE_ATTEMPTS = 3;

/** Turns anything a Redis call threw into a `StoreUnavailableError`: the one place ioredis errors are wrapped. */
function unavailable(operation: string, cause: unknown): StoreUnavailableError {
  if (cause instanceof StoreUnavailableError) return cause;
  return new StoreUnavailableError(`Redis session store: ${operation} failed`, cause);
}

const ignore = (): void => {};

/**
 * A {@link SessionStore} in Redis (6.2 or later: one server, one primary behind Sentinel, or a Redis
 * Cluster), shared by every BFF instance.
 *
 * Layout, under `keyPrefix` (default `gh:`; on a cluster the session keys are `{gh:}s:<id>`, `{gh:}u:<h>`…
 * and the login keys `{gh:login}login:<binding>`, `{gh:login}logins`, so that each script's keys share one
 * hash slot: see redis-keys.ts):
 * - `s:<id>`: one string per session in a compact binary form (about 600 bytes for a real RS256 session):
 *   lastSeenAt at a fixed offset, so `touch` overwrites 8 bytes in place; `updateTokens` rewrites the value
 *   keeping the stored lastSeenAt. Both run as Lua scripts that do nothing when the session is gone, so they
 *   never overwrite each other or resurrect a session.
 * - `u:<h>` and `o:<h>` (`h`: 96 bits of SHA-256 over `[iss, sub]` or `[iss, sid]`, 16 characters):
 *   strings listing the ids of the user's sessions and of the OP session's, each expiring with the
 *   longest-lived session it lists (never before, never after). `create` keeps a user within
 *   `limits.maxPerUser` by deleting their oldest sessions in the same script.
 * - Sessions of the layout before (hashes, with index sets `sid:<sha256hex(iss)>:<sid>` and
 *   `sub:<sha256hex(iss)>:<sub>`) are still read, touched, updated and deleted, so old and new instances can
 *   share one Redis during a rolling deploy; nothing writes that layout any more.
 * - `login:<binding>`: a hash of one browser's pending logins (at most `limits.perBinding`), and `logins`: a
 *   sorted set of every pending state by expiry (at most `limits.total`; beyond, a new browser's login is
 *   refused). Both expire with their newest login; a login is taken only with its binding.
 * - `lock:<key>` (`SET NX PX`, released by compare-and-delete), `once:<key>` (`SET NX PX`), `hits:<key>`
 *   (`INCR`, expiring with its window: rate limits shared by every instance).
 *
 * It fails fast: while Redis is unreachable no command is queued, and every call rejects with
 * `StoreUnavailableError` (the ioredis error as `cause`) within `commandTimeoutMs`; the client keeps
 * reconnecting with capped backoff and the store works again as soon as Redis answers. On a cluster, a call
 * that meets a primary's failover fails the same way, and calls succeed again once the replica is promoted.
 *
 * @example
 * const store = new RedisSessionStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'shop:' });
 * await store.create(newSessionId(), record, 8 * 60 * 60 * 1000);
 * await store.close();
 */
export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis';

  readonly #client: RedisClient;
  readonly #owned: boolean;
  readonly #keys: RedisKeys;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #waitReplicas: number;
  /** Until when writes do not wait for replicas (`Date.now()`), after a `WAIT` found too few. */
  #replicasShortUntil = 0;
  readonly #onError: ((error: StoreUnavailableError) => void) | undefined;
  readonly #onReady = (): void => {
    this.#everReady = true;
    this.#lastError = undefined;
  };
  readonly #onClientError = (error: unknown): void => {
    this.#lastError = error;
    if (!this.#closed) this.#onError?.(unavailable('connection', error));
  };
  #everReady: boolean;
  #lastError: unknown;
  #firstReady: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisSessionStoreOptions) {
    const check = new OptionProblems('RedisSessionStore', options ?? {}, KNOWN_OPTIONS);
    const { client, keyPrefix = 'gh:', onError } = options ?? {};
    const target = targetOf(options ?? {}, check);
    if (client !== undefined && !(client instanceof Redis || client instanceof Cluster)) {
      check.add('"client" must be an ioredis client');
    }
    const clustered = client instanceof Cluster || target?.kind === 'cluster';
    if (typeof keyPrefix !== 'string' || keyPrefix.length === 0 || keyPrefix.length > 64) {
      check.add('"keyPrefix" must be a string of 1 to 64 characters');
    } else if (clustered && /[{}]/.test(keyPrefix)) {
      check.add('"keyPrefix" must not contain { or } on a cluster (the store adds the hash tags)');
    }
    if (onError !== undefined && typeof onError !== 'function') check.add('"onError" must be a function');
    this.#connectTimeoutMs = check.integer('connectTimeoutMs', options?.connectTimeoutMs, 1_000, 50, 60_000);
    this.#commandTimeoutMs = check.integer('commandTimeoutMs', options?.commandTimeoutMs, 1_000, 50, 60_000);
    const maxDelay = check.integer('maxReconnectDelayMs', options?.maxReconnectDelayMs, 2_000, 100, 60_000);
    this.#waitReplicas = check.integer('waitReplicas', options?.waitReplicas, 0, 0, 16);
    check.done();

    this.#keys = new RedisKeys(keyPrefix, clustered);
    this.#onError = onError;
    this.#owned = client === undefined;
    this.#client = client ?? this.#connect(target as RedisTarget, maxDelay);
    this.#everReady = this.#client.status === 'ready';
    this.#client.on('ready', this.#onReady);
    // Owned clients always get an error listener, or ioredis would print every failed reconnection.
    if (this.#owned || onError !== undefined) this.#client.on('error', this.#onClientError);
  }

  async create(
    id: string,
    record: SessionRecord,
    ttlMs: number,
    limits?: SessionLimits,
  ): Promise<readonly DisplacedSession[]> {
    const ttl = ttlMillis(ttlMs, 'create');
    const maxPerUser = sessionLimit(limits) ?? 0;
    const size = Buffer.byteLength(id);
    if (size === 0 || size > MAX_ID_BYTES) {
      throw new RangeError(`create: id must be 1 to ${MAX_ID_BYTES} bytes, got ${size}`);
    }
    const value = encodeSession(record);
    const indexes = indexesOf(record);
    const indexKeys = [this.#keys.index('u:', indexes.sub)];
    if (indexes.sid !== undefined) indexKeys.push(this.#keys.index('o:', indexes.sid));
    const reply = await this.#script(
      'create',
      CREATE,
      [this.#keys.session(id), ...indexKeys],
      [id, value, ttl, this.#keys.sessions, maxPerUser],
      true,
    );
    return displacedOf(reply);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const value = await this.#read('get', id);
    if (value === LEGACY) return this.#getLegacy(id);
    if (value === null) return undefined;
    const record = decodeSession(value);
    if (record === undefined) {
      // Corrupt or foreign data: treat it as missing, and remove it so it cannot linger.
      await this.#script('delete', DELETE, [this.#keys.session(id)], [id, this.#keys.sessions]);
      return undefined;
    }
    return deepFreeze(record);
  }

  async updateTokens(id: string, tokens: SessionTokens, user?: IdentityUser): Promise<boolean> {
    const fresh: SessionTokens = { ...tokens };
    return this.#rewrite('updateTokens', id, (record) => ({
      ...record,
      tokens: fresh,
      ...(user ? { user } : {}),
    }));
  }

  async setActiveTenant(id: string, tenant: string | undefined, expireTokens?: boolean): Promise<boolean> {
    return this.#rewrite('setActiveTenant', id, (record) => withActiveTenant(record, tenant, expireTokens));
  }

  /**
   * Replaces the session with `change` of what is stored, if it is still there, compare-and-set: when a
   * refresh or a tenant switch rewrote it between the read and the write (its guard differs), it is read
   * again, so neither undoes the other. `lastSeenAt` is never written here (`touch` owns it). The old layout
   * (a hash) is rewritten field by field, as before.
   */
  async #rewrite(
    operation: string,
    id: string,
    change: (record: SessionRecord) => SessionRecord,
  ): Promise<boolean> {
    const key = this.#keys.session(id);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const value = await this.#read(operation, id);
      let done: unknown;
      if (value === null) return false;
      if (value === LEGACY) {
        const record = await this.#getLegacy(id);
        if (record === undefined) return false;
        const { tokens, lastSeenAt: _kept, ...body } = change(record);
        done = await this.#script(
          operation,
          UPDATE_TOKENS_LEGACY,
          [key],
          [JSON.stringify(tokens), JSON.stringify(body)],
        );
      } else {
        const record = decodeSession(value);
        if (record === undefined) {
          await this.#script('delete', DELETE, [key], [id, this.#keys.sessions]);
          return false;
        }
        done = await this.#script(
          operation,
          UPDATE_TOKENS,
          [key],
          [sessionGuard(value), encodeSession(change(record))],
        );
      }
      // -1: the session was replaced between the read and the write; read it again.
      if (done !== -1) return done === 1;
    }
    throw new StoreUnavailableError(`Redis session store: ${operation} raced with other writes too often`);
  }

  async touch(id: string, lastSeenAt: number, ttlMs: number): Promise<boolean> {
    const ttl = ttlMillis(ttlMs, 'touch');
    const done = await this.#script(
      'touch',
      TOUCH,
      [this.#keys.session(id)],
      [encodeTime(lastSeenAt), ttl, this.#keys.sessions, String(lastSeenAt)],
    );
    return done === 1;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#script('delete', DELETE, [this.#keys.session(id)], [id, this.#keys.sessions])) === 1;
  }

  deleteBySid(iss: string, sid: string): Promise<string[]> {
    return this.#deleteIndexed('deleteBySid', [
      this.#keys.index('o:', indexHash(iss, sid)),
      this.#keys.legacyIndex('sid:', sha256(iss), sid),
    ]);
  }

  deleteBySub(iss: string, sub: string): Promise<string[]> {
    return this.#deleteIndexed('deleteBySub', [
      this.#keys.index('u:', indexHash(iss, sub)),
      this.#keys.legacyIndex('sub:', sha256(iss), sub),
    ]);
  }

  async listBySub(iss: string, sub: string): Promise<readonly StoredSession[]> {
    const index = await this.#run('listBySub', (client) =>
      client.getBuffer(this.#keys.index('u:', indexHash(iss, sub))),
    );
    // The index value: each id as one length byte, then the id (see redis-scripts.ts, `pack`).
    const ids: string[] = [];
    for (let at = 0; index && at < index.length; at += 1 + (index[at] as number)) {
      const length = index[at] as number;
      if (length > 0) ids.push(index.subarray(at + 1, at + 1 + length).toString());
    }
    const listed: StoredSession[] = [];
    for (const id of ids) {
      const record = await this.get(id);
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
    const ttl = ttlMillis(ttlMs, 'putTransaction');
    const { perBinding, total } = transactionLimits(limits);
    const stored = await this.#script(
      'putTransaction',
      PUT_TRANSACTION,
      this.#keys.logins(transaction.binding),
      [state, JSON.stringify(transaction), ttl, perBinding, total],
    );
    return stored === 1;
  }

  async takeTransaction(state: string, binding: string): Promise<LoginTransaction | undefined> {
    const json = await this.#script('takeTransaction', TAKE_TRANSACTION, this.#keys.logins(binding), [state]);
    const transaction = parseJson(typeof json === 'string' ? json : undefined);
    // A corrupt value is already gone (the script took it); it counts as missing.
    return isLoginTransaction(transaction) && transaction.binding === binding
      ? deepFreeze(transaction)
      : undefined;
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const ttl = ttlMillis(ttlMs, 'acquireLock');
    const name = this.#keys.single('lock:', key);
    const reply = await this.#run('acquireLock', async (client) => {
      const taken = await client.set(name, owner, 'PX', ttl, 'NX');
      // A lock doubles as the write-ahead mark of a refresh: a promoted replica must know it.
      if (taken === 'OK') await this.#replicated(client, name);
      return taken;
    });
    return reply === 'OK';
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    return (
      (await this.#script('releaseLock', RELEASE_LOCK, [this.#keys.single('lock:', key)], [owner])) === 1
    );
  }

  async markOnce(key: string, ttlMs: number): Promise<boolean> {
    const ttl = ttlMillis(ttlMs, 'markOnce');
    const reply = await this.#run('markOnce', (client) =>
      client.set(this.#keys.single('once:', key), '1', 'PX', ttl, 'NX'),
    );
    return reply === 'OK';
  }

  async countHit(key: string, windowMs: number): Promise<HitCount> {
    const ttl = ttlMillis(windowMs, 'countHit');
    const reply = await this.#script('countHit', COUNT_HIT, [this.#keys.single('hits:', key)], [ttl]);
    const [count, left] = Array.isArray(reply) ? reply : [];
    return { count: Number(count), resetInMs: Math.max(0, Number(left)) };
  }

  async putHandoff(key: string, value: string, ttlMs: number): Promise<void> {
    const ttl = ttlMillis(ttlMs, 'putHandoff');
    const checked = handoffValue(value);
    await this.#run('putHandoff', (client) =>
      client.set(this.#keys.single('handoff:', key), checked, 'PX', ttl),
    );
  }

  async takeHandoff(key: string): Promise<string | undefined> {
    const value = await this.#run('takeHandoff', (client) =>
      client.getdel(this.#keys.single('handoff:', key)),
    );
    return value ?? undefined;
  }

  async readHandoff(key: string): Promise<string | undefined> {
    const value = await this.#run('readHandoff', (client) => client.get(this.#keys.single('handoff:', key)));
    return value ?? undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.off('ready', this.#onReady);
    if (!this.#owned) {
      this.#client.off('error', this.#onClientError);
      return;
    }
    if (this.#client.status === 'ready') {
      try {
        await this.#deadline('close', this.#client.quit());
      } catch {
        // Quitting politely failed; drop the connection instead.
      }
    }
    // The error listener stays on: it swallows late socket errors of the closed client.
    this.#client.disconnect();
  }

  #connect(target: RedisTarget, maxReconnectDelayMs: number): RedisClient {
    const options = this.#clientOptions(maxReconnectDelayMs);
    return connectRedis(target, options, {
      // Never queue while the cluster is not ready either; a moved slot or a failover is retried by the
      // client only within the call's own deadline (`commandTimeoutMs`). A write whose connection closed may
      // still have run: callers treat a failed write as "unknown" (see the refresh's write-ahead mark).
      enableOfflineQueue: false,
      scaleReads: 'master',
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      clusterRetryStrategy: options.retryStrategy,
    });
  }

  #clientOptions(maxReconnectDelayMs: number): RedisOptions {
    return {
      connectTimeout: this.#connectTimeoutMs,
      // Never queue while disconnected: a call either goes out now or fails now.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Do not replay writes the caller has already been told failed.
      autoResendUnfulfilledCommands: false,
      // A server that accepts but never answers is dropped, so later calls fail fast instead of timing out.
      socketTimeout: Math.max(2 * this.#commandTimeoutMs, 2_000),
      retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 16), maxReconnectDelayMs),
    };
  }

  /** Reads session `id`: its value, `null` when there is none, or {@link LEGACY} for the old layout. */
  #read(operation: string, id: string): Promise<Buffer | null | typeof LEGACY> {
    return this.#run(operation, async (client) => {
      try {
        return await client.getBuffer(this.#keys.session(id));
      } catch (error) {
        if (isWrongType(error)) return LEGACY;
        throw error;
      }
    });
  }

  /** A session of the layout before format version 1: a hash with fields r, k, t and i. */
  async #getLegacy(id: string): Promise<SessionRecord | undefined> {
    const fields = await this.#run('get', (client) => client.hgetall(this.#keys.session(id)));
    if (fields.r === undefined && fields.k === undefined && fields.t === undefined) return undefined;
    const body = parseJson(fields.r);
    const tokens = parseJson(fields.k);
    const lastSeenAt = Number(fields.t);
    if (!isSessionBody(body) || !isSessionTokens(tokens) || fields.t === '' || !Number.isFinite(lastSeenAt)) {
      await this.#script('delete', DELETE, [this.#keys.session(id)], [id, this.#keys.sessions]);
      return undefined;
    }
    return deepFreeze({ ...body, tokens, lastSeenAt });
  }

  async #deleteIndexed(operation: string, indexKeys: string[]): Promise<string[]> {
    const ids = await this.#script(operation, DELETE_INDEXED, indexKeys, [this.#keys.sessions]);
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  }

  /**
   * Runs a Lua script by SHA, sending its source only when the server does not know it yet. With `buffers`,
   * bulk strings in the answer come back as Buffers (binary session values).
   */
  #script(
    operation: string,
    lua: LuaScript,
    keys: string[],
    args: (string | number | Buffer)[],
    buffers = false,
  ): Promise<unknown> {
    return this.#run(operation, async (client) => {
      let reply: unknown;
      try {
        reply = buffers
          ? await client.callBuffer('EVALSHA', lua.sha, keys.length, ...keys, ...args)
          : await client.evalsha(lua.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        reply = buffers
          ? await client.callBuffer('EVAL', lua.source, keys.length, ...keys, ...args)
          : await client.eval(lua.source, keys.length, ...keys, ...args);
      }
      if (DURABLE.has(lua)) await this.#replicated(client, keys[0] as string);
      return reply;
    });
  }

  /**
   * With `waitReplicas`, waits until that many replicas of `key`'s primary have every write sent so far on
   * its connection (`WAIT`, at most 100 ms), so a failover right after cannot lose it. A replica short of
   * that (none configured, all down, or a promoted replica still alone) only costs the wait: the write stands.
   */
  async #replicated(client: RedisClient, key: string): Promise<void> {
    if (this.#waitReplicas === 0 || Date.now() < this.#replicasShortUntil) return;
    // A keyed command routes the pipeline to the key's primary, on the connection the write went out on.
    const replies = await client
      .pipeline()
      .exists(key)
      .wait(this.#waitReplicas, Math.min(REPLICA_WAIT_MS, Math.ceil(this.#commandTimeoutMs / 4)))
      .exec();
    const acknowledged = replies?.[1]?.[1];
    if (typeof acknowledged === 'number' && acknowledged < this.#waitReplicas)
      this.#replicasShortUntil = Date.now() + REPLICAS_SHORT_MS;
  }

  /**
   * Sends one operation if the client is ready, within `commandTimeoutMs`. Before the first connection it
   * waits for it (up to `connectTimeoutMs`); after that, a client that is not ready fails the call at once.
   */
  async #run<T>(operation: string, send: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError(`Redis session store: ${operation} after close`);
    try {
      if (this.#client.status !== 'ready') await this.#awaitFirstConnection();
      return await this.#deadline(operation, send(this.#client));
    } catch (error) {
      throw unavailable(operation, error);
    }
  }

  #deadline<T>(operation: string, pending: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${operation} got no answer within ${this.#commandTimeoutMs} ms`)),
        this.#commandTimeoutMs,
      );
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #awaitFirstConnection(): Promise<void> {
    const status = this.#client.status;
    const connecting = status === 'wait' || status === 'connecting' || status === 'connect';
    if (this.#everReady || !connecting) {
      return Promise.reject(this.#lastError ?? new Error(`Redis connection is ${status}`));
    }
    if (this.#firstReady) return this.#firstReady;
    const client = this.#client;
    const attempt = new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('close', onClose);
        client.off('end', onClose);
        this.#firstReady = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = (): void => settle();
      const onClose = (): void => settle(this.#lastError ?? new Error('Redis connection closed'));
      const timer = setTimeout(
        () => settle(new Error(`no Redis connection within ${this.#connectTimeoutMs} ms`)),
        this.#connectTimeoutMs,
      );
      client.on('ready', onReady);
      client.on('close', onClose);
      client.on('end', onClose);
    });
    this.#firstReady = attempt;
    if (status === 'wait') client.connect().catch(ignore);
    return attempt;
  }
}

/** The sessions `CREATE` deleted to make room: its answer is id, value (or nil), id, value… */
function displacedOf(reply: unknown): DisplacedSession[] {
  if (!Array.isArray(reply)) return [];
  const displaced: DisplacedSession[] = [];
  for (let at = 0; at + 1 < reply.length; at += 2) {
    const id = reply[at];
    const value: unknown = reply[at + 1];
    if (!Buffer.isBuffer(id)) continue;
    const record = Buffer.isBuffer(value) ? decodeSession(value) : undefined;
    displaced.push({ id: id.toString(), record: record === undefined ? undefined : deepFreeze(record) });
  }
  return displaced;
}

/** The target named by exactly one of `url`, `cluster` and `sentinel` (none with `client`), checked. */
function targetOf(options: RedisSessionStoreOptions, check: OptionProblems): RedisTarget | undefined {
  const { url, cluster, sentinel, client } = options;
  const given = [url, cluster, sentinel, client].filter((value) => value !== undefined).length;
  if (given !== 1) check.add('give exactly one of "url", "cluster", "sentinel" and "client"');
  if (url !== undefined) {
    if (!isRedisUrl(url)) check.add('"url" must be a redis:// or rediss:// URL');
    return { kind: 'single', url };
  }
  if (cluster !== undefined) {
    if (!Array.isArray(cluster) || cluster.length === 0 || !cluster.every(isRedisUrl)) {
      check.add('"cluster" must list redis:// or rediss:// URLs of some of its nodes');
    }
    return { kind: 'cluster', nodes: cluster };
  }
  if (sentinel !== undefined) {
    const { name, sentinels } = sentinel ?? {};
    if (typeof name !== 'string' || name.length === 0) check.add('"sentinel.name" must name the primary');
    if (!Array.isArray(sentinels) || sentinels.length === 0 || !sentinels.every(isRedisUrl)) {
      check.add('"sentinel.sentinels" must list redis:// or rediss:// URLs of some sentinels');
    }
    return { kind: 'sentinel', name, sentinels };
  }
  return undefined;
}
