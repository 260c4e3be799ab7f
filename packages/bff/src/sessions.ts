import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  endMessage,
  expiryReasons,
  type IdentityContext,
  type IdentityUser,
  identityFromClaims,
  type SessionEndReason,
  type SessionSummary,
} from '@gatehouse/policy';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { BffConfig } from './config.js';
import { BffError, StoreUnavailableError } from './errors.js';
import { type SessionEventBus, sessionChannelKey } from './events.js';
import type { BffMetrics } from './metrics.js';
import { type IdTokenClaims, type IssuedTokens, type OidcClient, oauthErrorCode } from './oidc.js';
import { PendingActions } from './pending.js';
import type { TokenTarget } from './resources.js';
import { type GrantHolder, mayShareGrant } from './session/grant.js';
import { newOpaqueToken, newSessionId } from './session/ids.js';
import { authLevelOf } from './session/level.js';
import { activeTenantOf, withActiveTenant } from './session/tenant.js';
import type {
  DisplacedSession,
  ResourceToken,
  SessionRecord,
  SessionStore,
  SessionTokens,
} from './session/types.js';

/** Why a session ended, for logs, metrics and the push channel (the closed list of `@gatehouse/policy`). */
export type EndReason = SessionEndReason;

/** A refresh under way in this process ({@link SessionManager.fresh}). */
interface SharedRefresh {
  /** The refreshed record, once the refresh and its store write are done. */
  readonly done: Promise<SessionRecord>;
  /** Rejects with the store's error as soon as the store fails the refresh's bookkeeping; else never settles. */
  readonly storeLost: Promise<never>;
}

/** Why a request has no live session. */
export type Ended = { readonly ended: EndReason | 'missing' };

const MAX_CACHED_SESSIONS = 100_000;

/** A session found for a request. */
export interface ActiveSession {
  readonly id: string;
  readonly record: SessionRecord;
}

/** An entry of the session cache: the session, and its key on the session event bus (a hash, kept). */
interface CachedSession {
  readonly active: ActiveSession;
  readonly key: string;
}

/** The session ended while the request was being served: answer 401 `session_expired`. */
export class SessionEndedError extends BffError {
  readonly reason: EndReason;
  constructor(reason: EndReason, cause?: unknown) {
    super('GH_BFF_REFRESH_FAILED', `The session has ended (${reason}).`, {
      status: 401,
      problem: 'session_expired',
      cause,
    });
    this.reason = reason;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** True when a refresh request certainly never reached the issuer (no connection, or no discovery). */
function neverSent(error: unknown): boolean {
  // Discovery failed: the refresh request was not even built.
  if (error instanceof BffError && error.code === 'GH_BFF_ISSUER_UNAVAILABLE') return true;
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return NOT_SENT.has(cause?.code ?? (error as { code?: string } | undefined)?.code ?? '');
}

/**
 * The session's main token (no `key`) or the one kept under `key` (a {@link TokenTarget}'s), when it has one
 * yet.
 */
function tokenFor(
  record: SessionRecord,
  key: string | undefined,
): Pick<SessionTokens, 'accessToken' | 'accessTokenExpiresAt' | 'refreshAt'> | undefined {
  if (key === undefined) return record.tokens;
  const resources = record.tokens.resources;
  return resources !== undefined && Object.hasOwn(resources, key) ? resources[key] : undefined;
}

/** `tokens` with `token` kept under `key`, beside the main token and the other targets' tokens. */
function withTargetToken(tokens: SessionTokens, key: string, token: ResourceToken): SessionTokens {
  return { ...tokens, resources: { ...tokens.resources, [key]: token } };
}

/** A session of the user's list: its id (server-side only) and what the browser is shown of it. */
export interface ListedSession {
  readonly id: string;
  readonly summary: SessionSummary;
}

/**
 * A short, non-reversible reference to a session id for log lines, and the handle of the user's list of
 * sessions (never the id itself).
 */
export function sessionRef(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 12);
}

/**
 * Sessions over a {@link SessionStore}: creation at login (always a new id), idle and absolute timeouts,
 * and token refresh shortly before the access token expires, one refresh per session at a time (single-flight
 * in this process, a lock in the store across processes; the others wait for its result).
 */
export class SessionManager {
  readonly store: SessionStore;
  readonly events: SessionEventBus;
  /** Remotes' actions waiting for a re-authentication, and the notes expired sessions leave for them. */
  readonly pending: PendingActions;
  readonly #config: BffConfig;
  readonly #oidc: OidcClient;
  readonly #log: Logger;
  readonly #refreshing = new Map<string, SharedRefresh>();
  readonly #touchEveryMs: number;
  /**
   * Recently read sessions (id → session and its event-bus key), so the hot path skips the store; see
   * {@link resolve}. Each entry lives `sessionCacheMs`; none at all when that is 0.
   */
  readonly #cache: LRUCache<string, CachedSession> | undefined;
  /** Event-bus key → id, to forget a cached session when another process ends or extends it. */
  readonly #cacheKeys = new Map<string, string>();
  /** Counts refresh grants sent to the issuer by this process (tests and metrics read it). */
  refreshCount = 0;

  readonly #metrics: BffMetrics | undefined;

  constructor(
    config: BffConfig,
    store: SessionStore,
    oidc: OidcClient,
    log: Logger,
    events: SessionEventBus,
    metrics?: BffMetrics,
  ) {
    this.#metrics = metrics;
    this.#config = config;
    this.store = store;
    this.events = events;
    this.pending = new PendingActions(store, config.loginTimeout * 1000);
    this.#oidc = oidc;
    this.#log = log;
    this.#touchEveryMs = Math.min(60_000, (config.idleTimeout * 1000) / 10);
    this.#cache =
      config.sessionCacheMs === 0
        ? undefined
        : new LRUCache<string, CachedSession>({
            max: MAX_CACHED_SESSIONS,
            // On lru-cache's monotonic clock, read at most once a millisecond (its default). A hit costs about
            // 0.1 µs (the Map this replaced: 0.08 µs) of the ~60 µs of CPU a proxied request takes; the
            // proxy bench (`npm run bench`, BFF against reply-from) shows no difference beyond its noise.
            ttl: config.sessionCacheMs,
            // However an entry leaves (forgotten, replaced, evicted, expired), its event-bus key leaves too.
            dispose: (cached) => this.#cacheKeys.delete(cached.key),
          });
    events.subscribe((event) => {
      const id = this.#cacheKeys.get(event.session);
      if (id !== undefined) this.#forget(id);
    });
  }

  #remember(active: ActiveSession): void {
    if (this.#cache === undefined) return;
    const key = this.#cache.peek(active.id)?.key ?? sessionChannelKey(active.id);
    this.#cache.set(active.id, { active, key });
    this.#cacheKeys.set(key, active.id);
  }

  #forget(id: string): void {
    this.#cache?.delete(id);
  }

  /** Starts a session for a completed login. Answers the new session's id (never an id the browser had). */
  async create(tokens: IssuedTokens, claims: IdTokenClaims, device?: string): Promise<ActiveSession> {
    const now = Date.now();
    const user = this.#userOf(claims);
    let absoluteExpiresAt = now + this.#config.absoluteTimeout * 1000;
    let refreshTokenExpiresAt: number | undefined;
    if (tokens.refreshToken) {
      refreshTokenExpiresAt = await this.#oidc.refreshTokenExpiry(tokens.refreshToken);
      if (refreshTokenExpiresAt !== undefined)
        absoluteExpiresAt = Math.min(absoluteExpiresAt, refreshTokenExpiresAt);
    } else {
      // Without a refresh token the session cannot outlive its access token.
      absoluteExpiresAt = Math.min(absoluteExpiresAt, tokens.accessTokenExpiresAt);
    }
    const signedIn: SessionRecord = {
      iss: claims.iss,
      sub: claims.sub,
      ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
      user,
      tokens: this.#sessionTokens(tokens, refreshTokenExpiresAt),
      createdAt: now,
      lastSeenAt: now,
      absoluteExpiresAt,
      ...(device === undefined ? {} : { device }),
    };
    // Tokens scoped to the active tenant: the code exchange could not name one (the tenants come with its
    // answer), so the first call refreshes them for the user's first tenant.
    const record =
      this.#config.tenantTokenParameter !== undefined && activeTenantOf(signedIn) !== undefined
        ? withActiveTenant(signedIn, undefined, true)
        : signedIn;
    const id = newSessionId();
    const displaced = await this.store.create(id, record, this.#ttl(record, now), {
      maxPerUser: this.#config.maxSessionsPerUser,
    });
    if (displaced.length > 0) await this.#endDisplaced(displaced, record);
    return { id, record };
  }

  /**
   * The user's oldest sessions the store ended to keep them within `maxSessionsPerUser` (already deleted):
   * forgotten, logged (`session_end`, reason `logout`: a new sign-in elsewhere, `cause: session_limit`),
   * announced to their open tabs, and their refresh tokens revoked at the issuer (best effort).
   */
  async #endDisplaced(displaced: readonly DisplacedSession[], staying: GrantHolder): Promise<void> {
    for (const { id, record } of displaced) {
      this.#forget(id);
      this.#log.info(
        {
          event: 'session_end',
          reason: 'logout',
          cause: 'session_limit',
          sub: record?.sub,
          session: sessionRef(id),
        },
        'session ended: its user reached the most sessions',
      );
      // Not when the new session may hold the same grant: revoking would end it too.
      if (!(record && mayShareGrant(record, staying))) this.#revoke(id, record?.tokens.refreshToken);
    }
    await this.announceEnd(
      displaced.map((session) => session.id),
      'logout',
    );
  }

  /**
   * The live session `id` names, or why there is none: `missing` (unknown id) or the timeout that ended it
   * (the session is then deleted). Records activity coarsely (at most every `idle / 10`, ≤ 60 s).
   *
   * The hot path answers synchronously from a short cache (`sessionCacheMs`, default 1 s) of sessions this
   * process read or wrote. Every end and extension — in this process or, over the session event bus, in any
   * other — removes the entry at once; the cache's lifetime only bounds how stale a session can be if an
   * event is lost. Timeouts are checked on every call, cached or not.
   */
  resolve(id: string): ActiveSession | Ended | Promise<ActiveSession | Ended> {
    const cached = this.#cache?.get(id);
    if (cached !== undefined) {
      const now = Date.now();
      const record = cached.active.record;
      if (now - record.lastSeenAt < this.#touchEveryMs && this.#expiry(record, now) === undefined) {
        return cached.active;
      }
    }
    return this.#resolveFromStore(id);
  }

  async #resolveFromStore(id: string): Promise<ActiveSession | Ended> {
    this.#forget(id);
    const record = await this.store.get(id);
    if (!record) return { ended: 'missing' };
    const now = Date.now();
    const ended = this.#expiry(record, now);
    if (ended) {
      await this.end(id, record, ended);
      return { ended };
    }
    if (now - record.lastSeenAt >= this.#touchEveryMs) {
      const touched = { ...record, lastSeenAt: now };
      if (!(await this.store.touch(id, now, this.#ttl(touched, now)))) return { ended: 'missing' };
      const active = { id, record: touched };
      this.#remember(active);
      // Open tabs move their expiry warning: activity anywhere pushes the idle deadline back.
      await this.events.publish({
        type: 'session-extended',
        session: this.#cache?.peek(id)?.key ?? sessionChannelKey(id),
        expiresAt: new Date(this.expiresAt(touched)).toISOString(),
      });
      return active;
    }
    const active = { id, record };
    this.#remember(active);
    return active;
  }

  /**
   * Like {@link resolve} but records no activity: for the push channel, which must not keep a session alive.
   */
  async peek(id: string): Promise<ActiveSession | Ended> {
    const record = await this.store.get(id);
    if (!record) return { ended: 'missing' };
    const ended = this.#expiry(record, Date.now());
    if (ended) {
      await this.end(id, record, ended);
      return { ended };
    }
    return { id, record };
  }

  /** Records activity now (the user asked to stay signed in) and tells the other tabs the new expiry. */
  async extend(id: string): Promise<ActiveSession | Ended> {
    const found = await this.peek(id);
    if (!('record' in found)) return found;
    const now = Date.now();
    const touched = { ...found.record, lastSeenAt: now };
    if (!(await this.store.touch(id, now, this.#ttl(touched, now)))) return { ended: 'missing' };
    this.#forget(id);
    await this.events.publish({
      type: 'session-extended',
      session: sessionChannelKey(id),
      expiresAt: new Date(this.expiresAt(touched)).toISOString(),
    });
    return { id, record: touched };
  }

  /**
   * Makes `tenant` the session's active tenant (`POST /auth/tenant`). It must be one of the user's tenants as
   * the session knows them (`not_member` otherwise, nothing changed); `undefined` when the session is gone.
   * Logged (`tenant_switch`, from and to: the audit trail) and, when it moves, pushed to the session's open
   * tabs as `identity-changed` over the event bus, so every instance's cache drops the old identity and every
   * tab reads the new one.
   */
  async switchTenant(
    active: ActiveSession,
    tenant: string,
  ): Promise<ActiveSession | 'not_member' | undefined> {
    const { id, record } = active;
    if (!record.user.tenants.some(({ id: member }) => member === tenant)) return 'not_member';
    const from = activeTenantOf(record);
    // With tokens scoped to the active tenant, the session's tokens are of the tenant left: made due in the
    // same write, under the refresh lock, so that no refresh in flight (asked for the old tenant) stores its
    // tokens after the switch as if they were current.
    const stored =
      this.#config.tenantTokenParameter !== undefined && from !== tenant
        ? await this.#whileRefreshLocked(id, () => this.store.setActiveTenant(id, tenant, true))
        : await this.store.setActiveTenant(id, tenant);
    if (!stored) return undefined;
    this.#forget(id);
    this.#log.info(
      { event: 'tenant_switch', sub: record.sub, session: sessionRef(id), from, to: tenant },
      'active tenant switched',
    );
    if (from !== tenant)
      await this.events.publish({ type: 'identity-changed', session: sessionChannelKey(id) });
    return { id, record: { ...record, activeTenant: tenant } };
  }

  /**
   * The access token to forward, refreshed first when it is due: the session's main token, or with `target`
   * that resource's own (RFC 8707, obtained with the refresh token) or the main token exchanged for that
   * audience (RFC 8693), the first time it is asked for and again when due.
   */
  accessToken(session: ActiveSession, target?: TokenTarget): string | Promise<string> {
    const held = tokenFor(session.record, target?.key);
    if (held !== undefined && !this.#due(held)) return held.accessToken;
    return this.fresh(session.id, target).then((record) => {
      const token = tokenFor(record, target?.key);
      if (token === undefined) throw new SessionEndedError('refresh_failed');
      return token.accessToken;
    });
  }

  /**
   * Refreshes the session's main token (or `target`'s) once across every caller and process, or returns the
   * record if it is not due. Single-flight per (session, target) in this process; across processes every
   * refresh of a session holds the one lock `refresh:<id>`, because they all spend the same refresh token
   * (rotated by most issuers: two concurrent uses would be reuse) and write the same record's tokens.
   */
  fresh(id: string, target?: TokenTarget): Promise<SessionRecord> {
    const key = target === undefined ? id : `${id}\n${target.key}`;
    let shared = this.#refreshing.get(key);
    if (!shared) {
      let lose: (error: unknown) => void = () => {};
      const storeLost = new Promise<never>((_, reject) => {
        lose = reject;
      });
      storeLost.catch(() => {});
      const done = this.#refreshShared(id, target, lose).finally(() => this.#refreshing.delete(key));
      shared = { done, storeLost };
      this.#refreshing.set(key, shared);
    }
    // A refresh whose bookkeeping the store fails (a failover) goes on in the background, to keep the token
    // the issuer rotated; its callers get the store's 503 at once instead of waiting for it.
    return Promise.race([shared.done, shared.storeLost]);
  }

  async #refreshShared(
    id: string,
    target: TokenTarget | undefined,
    storeLost: (error: unknown) => void,
  ): Promise<SessionRecord> {
    const owner = newOpaqueToken(16);
    const lock = `refresh:${id}`;
    const deadline = Date.now() + this.#config.refreshWaitMs;
    const due = (record: SessionRecord) => {
      const token = tokenFor(record, target?.key);
      return token === undefined || this.#due(token);
    };
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get(id);
      if (!current) throw new SessionEndedError('refresh_failed');
      if (!due(current)) return current;
      if (await this.store.acquireLock(lock, owner, this.#config.refreshLockMs)) {
        try {
          // Someone may have refreshed between our read and the lock.
          const locked = await this.store.get(id);
          if (!locked) throw new SessionEndedError('refresh_failed');
          if (!due(locked)) return locked;
          return target?.kind === 'exchange'
            ? await this.#exchangeNow(id, locked, storeLost, target)
            : await this.#refreshNow(id, locked, storeLost, target?.resource);
        } finally {
          // A lock left behind would hold the session's other instances for its whole life (refreshLockMs).
          await this.store.releaseLock(lock, owner).catch(() => this.#releaseLater(lock, owner));
        }
      }
      if (Date.now() > deadline) {
        if ((tokenFor(current, target?.key)?.accessTokenExpiresAt ?? 0) > Date.now()) return current;
        throw new BffError('GH_BFF_REFRESH_TIMEOUT', 'Timed out waiting for a token refresh.', {
          status: 503,
          problem: 'upstream_unavailable',
        });
      }
      await sleep(Math.min(200, 20 + attempt * 10) + Math.random() * 20);
    }
  }

  // long-function: the write-ahead mark, the grant, its failure modes and the store write are one sequence.
  async #refreshNow(
    id: string,
    record: SessionRecord,
    storeLost: (error: unknown) => void,
    resource?: string,
  ): Promise<SessionRecord> {
    const refreshToken = record.tokens.refreshToken;
    if (!refreshToken) {
      await this.end(id, record, 'refresh_failed');
      throw new SessionEndedError('refresh_failed');
    }
    // Write-ahead: mark this refresh token as sent before sending it. A process that finds the mark already
    // there knows another one sent it and never stored the answer (it died mid-refresh): sending it again
    // would be refresh-token reuse, which the issuer punishes by revoking the whole grant. The session ends
    // cleanly instead. When the request certainly never reached the issuer, the mark is taken back.
    const sent = `refresh-sent:${createHash('sha256').update(refreshToken).digest('base64url')}`;
    const marker = newOpaqueToken(16);
    const markTtl = Math.max(60_000, record.absoluteExpiresAt - Date.now());
    if (!(await this.#markSent(sent, marker, markTtl, storeLost))) {
      this.#log.warn(
        { event: 'refresh_failure', sub: record.sub, session: sessionRef(id), error: 'abandoned_refresh' },
        'an earlier refresh of this token never completed; not reusing it',
      );
      this.#metrics?.refreshes.inc({ outcome: 'abandoned' });
      await this.end(id, record, 'refresh_failed');
      throw new SessionEndedError('refresh_failed');
    }
    let tokens: IssuedTokens;
    let claims: IdTokenClaims | undefined;
    try {
      this.refreshCount++;
      const timer = this.#metrics?.refreshSeconds.startTimer();
      try {
        ({ tokens, claims } = await this.#oidc.refresh(
          refreshToken,
          record.sub,
          resource,
          activeTenantOf(record),
        ));
      } finally {
        timer?.();
      }
    } catch (error) {
      if (neverSent(error)) await this.store.releaseLock(sent, marker).catch(() => false);
      const code = oauthErrorCode(error);
      this.#metrics?.refreshes.inc({ outcome: code !== undefined ? 'rejected' : 'error' });
      if (code !== undefined) {
        // The issuer rejected the refresh token (revoked, expired, reused): the session is over.
        this.#log.warn(
          { event: 'refresh_failure', sub: record.sub, session: sessionRef(id), error: code },
          'refresh rejected',
        );
        await this.end(id, record, 'refresh_failed');
        throw new SessionEndedError('refresh_failed', error);
      }
      this.#log.error(
        { event: 'refresh_failure', sub: record.sub, session: sessionRef(id), err: error },
        'refresh failed',
      );
      if ((tokenFor(record, resource)?.accessTokenExpiresAt ?? 0) > Date.now()) return record;
      if (error instanceof BffError) throw error;
      throw new BffError('GH_BFF_ISSUER_UNAVAILABLE', 'The identity provider cannot be reached.', {
        status: 503,
        problem: 'upstream_unavailable',
        cause: error,
      });
    }
    const next = this.#refreshedTokens(record, tokens, resource);
    // The user as the issuer describes them now: roles and permissions follow the issuer within one
    // access-token life instead of staying as they were at sign-in until the absolute timeout.
    const user = claims ? this.#userOf(claims) : record.user;
    const changed = !isDeepStrictEqual(user, record.user);
    const stored = await this.#storeRefreshed(id, next, changed ? user : undefined, storeLost).catch(
      (error: unknown) => {
        // The issuer rotated the token and the store never took the answer: the session's next refresh will
        // find the write-ahead mark and end it. Counted, so that a failover's cost shows.
        this.#metrics?.refreshes.inc({ outcome: 'not_stored' });
        throw error;
      },
    );
    if (!stored) throw new SessionEndedError('refresh_failed');
    // The answer is stored: the mark has done its work. Taken back, so that an issuer that returned the same
    // refresh token can be sent it again at the next refresh.
    await this.store.releaseLock(sent, marker).catch(() => false);
    const refreshed = { ...record, user, tokens: next };
    this.#remember({ id, record: refreshed });
    this.#metrics?.refreshes.inc({ outcome: 'success' });
    this.#log.info(
      {
        event: 'refresh_success',
        sub: record.sub,
        session: sessionRef(id),
        identityChanged: changed,
        ...(resource === undefined ? {} : { resource }),
      },
      'tokens refreshed',
    );
    if (changed) await this.#announceIdentity(id, record.user, user);
    return refreshed;
  }

  /**
   * Trades the session's main token for one of `target`'s audience (RFC 8693) and keeps it beside the main
   * one, under the session's refresh lock (the caller holds it); a main token that is due is refreshed first,
   * in the same lock. No refresh token is spent, so there is no write-ahead mark: a lost answer costs one more
   * exchange, never the session. A refusal by the issuer is the deployment's (an audience it does not serve,
   * a client not allowed to exchange): 502, and the session goes on for every other upstream.
   */
  async #exchangeNow(
    id: string,
    record: SessionRecord,
    storeLost: (error: unknown) => void,
    target: Extract<TokenTarget, { kind: 'exchange' }>,
  ): Promise<SessionRecord> {
    const main = this.#due(record.tokens) ? await this.#refreshNow(id, record, storeLost) : record;
    const context = { sub: main.sub, session: sessionRef(id), audience: target.audience };
    let issued: IssuedTokens;
    try {
      issued = await this.#oidc.exchange(main.tokens.accessToken, target.audience);
    } catch (error) {
      const code = oauthErrorCode(error);
      this.#metrics?.tokenExchanges.inc({ outcome: code !== undefined ? 'rejected' : 'error' });
      // The issuer's refusal is logged as its OAuth error code; anything else (unreachable, a bad answer) whole.
      this.#log.warn(
        {
          event: 'token_exchange_failure',
          ...context,
          ...(code === undefined ? { err: error } : { error: code }),
        },
        'exchange failed',
      );
      if ((tokenFor(main, target.key)?.accessTokenExpiresAt ?? 0) > Date.now()) return main;
      if (code !== undefined)
        throw new BffError(
          'GH_BFF_TOKEN_EXCHANGE_REFUSED',
          `The issuer refused to exchange the session's token for ${target.audience} (${code}).`,
          {
            status: 502,
            problem: 'upstream_unavailable',
            cause: error,
            detail: 'This service cannot be reached with your session right now.',
          },
        );
      if (error instanceof BffError) throw error;
      throw new BffError('GH_BFF_ISSUER_UNAVAILABLE', 'The identity provider cannot be reached.', {
        status: 503,
        problem: 'upstream_unavailable',
        cause: error,
      });
    }
    const tokens = withTargetToken(main.tokens, target.key, this.#targetToken(issued));
    if (!(await this.#storeRefreshed(id, tokens, undefined, storeLost)))
      throw new SessionEndedError('refresh_failed');
    const exchanged = { ...main, tokens };
    this.#remember({ id, record: exchanged });
    this.#metrics?.tokenExchanges.inc({ outcome: 'success' });
    this.#log.info({ event: 'token_exchange', ...context }, 'token exchanged');
    return exchanged;
  }

  /**
   * Runs `work` while holding the session's refresh lock, waiting for a refresh in flight (anywhere) as long
   * as a request waits for one (`refreshWaitMs`; 503 `upstream_unavailable` beyond).
   */
  async #whileRefreshLocked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const owner = newOpaqueToken(16);
    const lock = `refresh:${id}`;
    const deadline = Date.now() + this.#config.refreshWaitMs;
    for (let attempt = 0; ; attempt++) {
      if (await this.store.acquireLock(lock, owner, this.#config.refreshLockMs)) {
        try {
          return await work();
        } finally {
          await this.store.releaseLock(lock, owner).catch(() => this.#releaseLater(lock, owner));
        }
      }
      if (Date.now() > deadline)
        throw new BffError('GH_BFF_REFRESH_TIMEOUT', 'Timed out waiting for a token refresh.', {
          status: 503,
          problem: 'upstream_unavailable',
        });
      await sleep(Math.min(200, 20 + attempt * 10) + Math.random() * 20);
    }
  }

  /**
   * Releases `lock` once the store answers again (a failover), trying for as long as the lock would last; in
   * the background: nobody waits for it.
   */
  #releaseLater(lock: string, owner: string): void {
    const until = Date.now() + this.#config.refreshLockMs;
    const attempt = (): void => {
      this.store.releaseLock(lock, owner).catch(() => {
        if (Date.now() < until) setTimeout(attempt, 100 + Math.random() * 100).unref();
      });
    };
    setTimeout(attempt, 100).unref();
  }

  /**
   * Sets the write-ahead mark of a refresh. When the store fails the call (a failover), the mark may have
   * been written all the same, and would read as "sent by someone who died" at the next refresh, ending the
   * session. So before giving up, the mark is taken back (retried while the store is away, for as long as
   * the refresh lock lasts: nobody else refreshes meanwhile; `storeLost` lets the callers go meanwhile).
   */
  async #markSent(
    sent: string,
    marker: string,
    ttlMs: number,
    storeLost: (error: unknown) => void,
  ): Promise<boolean> {
    try {
      return await this.store.acquireLock(sent, marker, ttlMs);
    } catch (error) {
      storeLost(error);
      const until = Date.now() + this.#config.refreshLockMs;
      for (;;) {
        try {
          await this.store.releaseLock(sent, marker);
          break;
        } catch {
          if (Date.now() > until) break;
          await sleep(100 + Math.random() * 100);
        }
      }
      throw error;
    }
  }

  /**
   * Stores a refresh's answer, trying again while the store is unavailable (a Redis failover) for as long as
   * the refresh lock lasts: the issuer has already rotated the refresh token, so giving up would end the
   * session at its next refresh. Requests for the session on this instance are answered 503 meanwhile
   * (`storeLost`), and new ones join this refresh rather than start another.
   */
  async #storeRefreshed(
    id: string,
    tokens: SessionTokens,
    user: IdentityUser | undefined,
    storeLost: (error: unknown) => void,
  ): Promise<boolean> {
    const until = Date.now() + this.#config.refreshLockMs;
    for (;;) {
      try {
        return await this.store.updateTokens(id, tokens, user);
      } catch (error) {
        if (error instanceof StoreUnavailableError) storeLost(error);
        if (!(error instanceof StoreUnavailableError) || Date.now() > until) throw error;
        await sleep(100 + Math.random() * 100);
      }
    }
  }

  /**
   * The tokens a refresh answer leaves the session with: the new main token, or with `resource` the new token
   * of that resource beside the main one. Either way the (possibly rotated) refresh token is the new one and
   * the other resources' tokens stay.
   */
  #refreshedTokens(record: SessionRecord, tokens: IssuedTokens, resource?: string): SessionTokens {
    // An issuer that does not rotate answers without a refresh token (RFC 6749 §6) or with the same one:
    // the session keeps the one it has.
    // A refresh answer without an ID token leaves the one from sign-in as the logout hint.
    const idToken = tokens.idToken ?? record.tokens.idToken;
    const refreshToken = tokens.refreshToken ?? record.tokens.refreshToken;
    const { resources } = record.tokens;
    if (resource === undefined) {
      const main = this.#sessionTokens(
        { ...tokens, ...(refreshToken ? { refreshToken } : {}), ...(idToken ? { idToken } : {}) },
        record.tokens.refreshTokenExpiresAt,
      );
      return resources === undefined ? main : { ...main, resources };
    }
    const { idToken: _previous, refreshToken: _spent, ...kept } = record.tokens;
    return withTargetToken(
      {
        ...kept,
        ...(refreshToken ? { refreshToken } : {}),
        ...(this.#config.idTokenHint && idToken ? { idToken } : {}),
      },
      resource,
      this.#targetToken(tokens),
    );
  }

  /** A token obtained for one upstream's target, as the session keeps it (with when it is due). */
  #targetToken(tokens: Pick<IssuedTokens, 'accessToken' | 'accessTokenExpiresAt'>): ResourceToken {
    return {
      accessToken: tokens.accessToken,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      refreshAt: this.#refreshAt(tokens.accessTokenExpiresAt),
    };
  }

  /** The identity context's user for verified claims, through the configured role maps. */
  #userOf(claims: IdTokenClaims): SessionRecord['user'] {
    return identityFromClaims(claims, {
      rolesClaim: this.#config.rolesClaim,
      roles: this.#config.roles,
      tenantRoles: this.#config.tenantRoles,
    });
  }

  /**
   * The issuer describes the session's user differently now (roles, permissions, tenants, profile): logged
   * (`identity_change`, with the roles before and after) and pushed to the session's open tabs as
   * `identity-changed`, over the event bus so every process's cache drops the old identity. The tabs then
   * read `GET /auth/session`: the message itself carries no identity.
   */
  async #announceIdentity(
    id: string,
    before: SessionRecord['user'],
    after: SessionRecord['user'],
  ): Promise<void> {
    this.#log.info(
      {
        event: 'identity_change',
        sub: after.id,
        session: sessionRef(id),
        rolesBefore: before.roles,
        rolesAfter: after.roles,
      },
      'the issuer changed the user’s identity at refresh',
    );
    await this.events.publish({ type: 'identity-changed', session: sessionChannelKey(id) });
  }

  /**
   * Ends one session: deletes it and, when it has one, revokes its refresh token at the issuer (best effort) —
   * unless `staying` (the session that goes on: the new sign-in, the user's current session) may hold a
   * token of the same grant ({@link mayShareGrant}).
   */
  async end(
    id: string,
    record: SessionRecord | undefined,
    reason: EndReason,
    staying?: GrantHolder,
  ): Promise<void> {
    this.#forget(id);
    await this.store.delete(id);
    this.#log.info(
      { event: 'session_end', reason, sub: record?.sub, session: sessionRef(id) },
      'session ended',
    );
    // An expiry was nobody's choice: the work open in its tabs may follow the user to their next sign-in.
    if (record && expiryReasons.some((expiry) => expiry === reason))
      await this.pending.noteExpired(id, record);
    await this.announceEnd([id], reason);
    if (reason === 'refresh_failed' || reason === 'backchannel_logout') return;
    if (record && staying && mayShareGrant(record, staying)) {
      this.#log.info(
        { event: 'revoke_skipped', session: sessionRef(id) },
        'refresh token not revoked: the session that stays may hold the same grant',
      );
      return;
    }
    this.#revoke(id, record?.tokens.refreshToken);
  }

  /** Revokes a refresh token at the issuer without waiting; a failure is logged, never thrown. */
  #revoke(id: string, refreshToken: string | undefined): void {
    if (!refreshToken) return;
    this.#oidc.revoke(refreshToken).catch((error: unknown) => {
      this.#log.warn(
        { event: 'revoke_failure', session: sessionRef(id), err: error },
        'refresh token revocation failed',
      );
    });
  }

  /**
   * Ends the session `id` names, whatever state it is in (a logout, or a login replacing it): the record is
   * read for the log line and the revocation, then {@link end}. Nothing to end is not an error. Answers the
   * record as it was, if there was one (the sign-out page's hint needs it).
   */
  async endById(id: string, reason: EndReason, staying?: GrantHolder): Promise<SessionRecord | undefined> {
    const record = await this.store.get(id);
    await this.end(id, record, reason, staying);
    return record;
  }

  /**
   * Ends every session of the issuer's session `sid` at `iss` (back- and front-channel logout): deleted and
   * announced to every process's push channel, their refresh tokens left alone (the issuer ended the grant).
   * Answers how many ended.
   */
  async endBySid(iss: string, sid: string, reason: EndReason): Promise<number> {
    const ended = await this.store.deleteBySid(iss, sid);
    await this.announceEnd(ended, reason);
    return ended.length;
  }

  /** Like {@link endBySid}, for every session of the user `sub` at `iss` (a logout token without `sid`). */
  async endBySub(iss: string, sub: string, reason: EndReason): Promise<number> {
    const ended = await this.store.deleteBySub(iss, sub);
    await this.announceEnd(ended, reason);
    return ended.length;
  }

  /** Tells every process's push channel that these sessions ended (they are already deleted). */
  async announceEnd(ids: readonly string[], reason: EndReason): Promise<void> {
    if (ids.length > 0) this.#metrics?.sessionEnds.inc({ reason }, ids.length);
    const message = endMessage(reason);
    await Promise.all(ids.map((id) => this.events.publish({ ...message, session: sessionChannelKey(id) })));
  }

  /**
   * The live sessions of `record`'s user, for their list (`GET /auth/sessions`): each named by its handle
   * ({@link sessionRef}, never the id), the one of `currentId` marked, the most recently used first.
   */
  async listOf(record: SessionRecord, currentId: string): Promise<readonly ListedSession[]> {
    const now = Date.now();
    const stored = await this.store.listBySub(record.iss, record.sub);
    return stored
      .filter((session) => this.#expiry(session.record, now) === undefined)
      .map(({ id, record: found }) => ({
        id,
        summary: {
          handle: sessionRef(id),
          device: found.device ?? 'Unknown device',
          createdAt: new Date(found.createdAt).toISOString(),
          lastSeenAt: new Date(found.lastSeenAt).toISOString(),
          current: id === currentId,
        },
      }))
      .sort((a, b) => b.summary.lastSeenAt.localeCompare(a.summary.lastSeenAt));
  }

  /** The identity context of docs/http-contract.md#identity-context for a live session. */
  identity(record: SessionRecord): IdentityContext {
    const activeTenant = activeTenantOf(record);
    return {
      isAuthenticated: true,
      user: activeTenant === undefined ? record.user : { ...record.user, activeTenant },
      session: { expiresAt: new Date(this.expiresAt(record)).toISOString(), ...authLevelOf(record) },
    };
  }

  /** When the session ends if nothing else happens: the earlier of the idle and absolute limits. */
  expiresAt(record: SessionRecord): number {
    return Math.min(record.absoluteExpiresAt, record.lastSeenAt + this.#config.idleTimeout * 1000);
  }

  #expiry(record: SessionRecord, now: number): EndReason | undefined {
    if (now >= record.absoluteExpiresAt) return 'absolute_timeout';
    if (now >= record.lastSeenAt + this.#config.idleTimeout * 1000) return 'idle_timeout';
    const rtExpiry = record.tokens.refreshTokenExpiresAt;
    if (rtExpiry !== undefined && now >= rtExpiry) return 'absolute_timeout';
    return undefined;
  }

  #due(token: Pick<SessionTokens, 'refreshAt' | 'accessTokenExpiresAt'>): boolean {
    const { refreshAt, accessTokenExpiresAt } = token;
    return Date.now() >= (refreshAt ?? accessTokenExpiresAt - this.#config.refreshLeeway * 1000);
  }

  /**
   * When a token expiring at `expiresAt` is due: `refreshLeeway` before expiry, but never before half its
   * life (with tokens shorter than twice the leeway, every request would otherwise find it due).
   */
  #refreshAt(expiresAt: number): number {
    const life = Math.max(0, expiresAt - Date.now());
    return expiresAt - Math.min(this.#config.refreshLeeway * 1000, Math.floor(life / 2));
  }

  #ttl(record: SessionRecord, now: number): number {
    return Math.max(
      1000,
      Math.min(record.absoluteExpiresAt, record.lastSeenAt + this.#config.idleTimeout * 1000) - now + 5000,
    );
  }

  #sessionTokens(tokens: IssuedTokens, refreshTokenExpiresAt: number | undefined): SessionTokens {
    // The ID token is kept only to be sent as `id_token_hint` at sign-out (`idTokenHint`); requests never use it.
    return {
      accessToken: tokens.accessToken,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      refreshAt: this.#refreshAt(tokens.accessTokenExpiresAt),
      ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
      ...(refreshTokenExpiresAt !== undefined ? { refreshTokenExpiresAt } : {}),
      ...(tokens.scope ? { scope: tokens.scope } : {}),
      ...(this.#config.idTokenHint && tokens.idToken ? { idToken: tokens.idToken } : {}),
    };
  }
}
