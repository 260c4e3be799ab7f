import type { IdentityUser, LoginPrompt } from '@gatehouse/policy';

/** Tokens of one session. They live only server-side, in the session store. */
export interface SessionTokens {
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly accessTokenExpiresAt: number;
  /**
   * Epoch milliseconds from which the access token is due for refresh: `refreshLeeway` before it expires, or
   * halfway through its life when that comes later (short-lived tokens). Absent in records written before
   * it existed: then `refreshLeeway` before expiry.
   */
  readonly refreshAt?: number;
  readonly refreshToken?: string;
  /** Epoch milliseconds, when the issuer says (or configuration caps) how long the refresh token lives. */
  readonly refreshTokenExpiresAt?: number;
  readonly idToken?: string;
  readonly scope?: string;
  /**
   * Access tokens for upstreams' own audiences, each refreshed on its own schedule: by resource indicator one
   * obtained with the refresh token above (RFC 8707), and under `exchange <audience>` one the main token was
   * exchanged for (RFC 8693). The main token is for the primary resource and is never repeated here.
   */
  readonly resources?: Readonly<Record<string, ResourceToken>>;
}

/** The access token of one upstream's audience, as {@link SessionTokens.resources} keeps it. */
export interface ResourceToken {
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly accessTokenExpiresAt: number;
  /** Epoch milliseconds from which it is due for refresh (see {@link SessionTokens.refreshAt}). */
  readonly refreshAt: number;
}

/** One signed-in browser session, as the store keeps it. */
export interface SessionRecord {
  /** Issuer and subject identify the user (`iss` + `sub`). */
  readonly iss: string;
  readonly sub: string;
  /** The issuer's session id (`sid` claim), for back- and front-channel logout. */
  readonly sid?: string;
  readonly user: IdentityUser;
  readonly tokens: SessionTokens;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds of the last request seen (updated coarsely, see `touch`). */
  readonly lastSeenAt: number;
  /** Epoch milliseconds after which the session is over whatever happens. */
  readonly absoluteExpiresAt: number;
  /** What the user signed in with, coarsely (`Firefox on Linux`), for their list of sessions. */
  readonly device?: string;
  /**
   * The tenant the user switched to (`POST /auth/tenant`). Kept beside `user`, not in it: a refresh replaces
   * the user with what the issuer says and must not undo the switch. It counts only while the user is still
   * a member (`activeTenantOf`).
   */
  readonly activeTenant?: string;
}

/** One of a user's sessions, as {@link SessionStore.listBySub} answers it. */
export interface StoredSession {
  readonly id: string;
  readonly record: SessionRecord;
}

/**
 * A login in progress, keyed by its `state`, single-use, and bound to one browser: only a caller that names
 * its `binding` (the value of that browser's login cookie) can take it.
 */
export interface LoginTransaction {
  /** Random value also held in the browser's login cookie: binds the transaction to that browser. */
  readonly binding: string;
  readonly codeVerifier: string;
  readonly nonce: string;
  /** Sanitized same-origin path to return to after login. */
  readonly returnTo: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** The `prompt` sent: `none` makes the issuer's "cannot sign in silently" a typed outcome for the app. */
  readonly prompt?: LoginPrompt;
  /** The `max_age` sent: the ID token's `auth_time` must be at most this old. */
  readonly maxAge?: number;
  /** The `acr_values` sent: the ID token's `acr` must be one of them. */
  readonly acrValues?: readonly string[];
}

/** How many login transactions a store keeps; `putTransaction` enforces both. */
export interface TransactionLimits {
  /**
   * Most pending logins of one binding (one browser). A new one beyond it drops that binding's oldest, never
   * another browser's.
   */
  readonly perBinding: number;
  /**
   * Most pending logins in the whole store. Beyond it a new one is refused (`putTransaction` answers `false`)
   * rather than evicting anyone's: a flood can delay new logins, never spoil pending ones. A new login that
   * replaces its own binding's oldest is not refused (the count does not grow).
   */
  readonly total: number;
}

/** The limits a store applies when the caller gives none. */
export const DEFAULT_TRANSACTION_LIMITS: TransactionLimits = Object.freeze({ perBinding: 5, total: 10_000 });

/** How many sessions a store keeps per user; `create` enforces it. */
export interface SessionLimits {
  /**
   * Most live sessions of one user (`iss` + `sub`). Creating one beyond it ends that user's oldest sessions
   * (by creation), atomically, and never another user's.
   */
  readonly maxPerUser: number;
}

/** A session that `create` ended to keep its user within `maxPerUser`. */
export interface DisplacedSession {
  readonly id: string;
  /** The session as it was stored, when it could be read back (to revoke its refresh token). */
  readonly record: SessionRecord | undefined;
}

/** What `countHit` answers. */
export interface HitCount {
  /** Hits of the key in its current window, this one included. */
  readonly count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  readonly resetInMs: number;
}

/**
 * Where sessions, login transactions, refresh locks, replay marks and rate-limit counts live. One contract, two
 * implementations (memory, Redis), one shared test suite. Every method either does its job or rejects
 * with a `StoreUnavailableError`; none of them throws anything else for a missing key.
 *
 * Writes never resurrect a deleted session: `updateTokens` and `touch` answer `false` when the session
 * is gone.
 */
export interface SessionStore {
  /** `memory` or `redis`, for logs and metrics. */
  readonly kind: string;

  /**
   * Stores a new session. `ttlMs` is how long the store may keep it (a backstop; the BFF checks timeouts).
   * With `limits`, the user's oldest sessions beyond `maxPerUser` (this one included) are deleted in the same
   * step and answered, oldest first; without, none are.
   */
  create(
    id: string,
    record: SessionRecord,
    ttlMs: number,
    limits?: SessionLimits,
  ): Promise<readonly DisplacedSession[]>;
  /** The session, or `undefined` when unknown or already expired in the store. */
  get(id: string): Promise<SessionRecord | undefined>;
  /**
   * Replaces the tokens, and the user when given (a refresh that found the identity changed), never
   * `lastSeenAt`: a refresh and a touch cannot overwrite each other.
   */
  updateTokens(id: string, tokens: SessionTokens, user?: IdentityUser): Promise<boolean>;
  /**
   * Sets the session's active tenant (`undefined`: none chosen), keeping everything else as it is in the store
   * at that moment: a refresh or a touch in between is not undone, and this is not undone by them. With
   * `expireTokens`, every access token of the session is made due for refresh in the same write (tokens
   * scoped to the tenant left).
   */
  setActiveTenant(id: string, tenant: string | undefined, expireTokens?: boolean): Promise<boolean>;
  /** Sets `lastSeenAt` only and extends the store's TTL. */
  touch(id: string, lastSeenAt: number, ttlMs: number): Promise<boolean>;
  /** Deletes one session (and its index entries). `true` when it existed. */
  delete(id: string): Promise<boolean>;
  /** Deletes every session of issuer session `sid` at `iss`; answers the ids deleted. */
  deleteBySid(iss: string, sid: string): Promise<string[]>;
  /** Deletes every session of `sub` at `iss`; answers the ids deleted. */
  deleteBySub(iss: string, sub: string): Promise<string[]>;
  /**
   * The live sessions of `sub` at `iss`, oldest first, read through the per-user index the session cap keeps
   * (no scan). Sessions of the Redis layout before format version 1 are not listed.
   */
  listBySub(iss: string, sub: string): Promise<readonly StoredSession[]>;

  /**
   * Stores a login transaction under its `state`, for its `binding`, within `limits` (default
   * {@link DEFAULT_TRANSACTION_LIMITS}): that binding's oldest beyond `perBinding` is dropped. Answers `false`,
   * storing nothing, when the store already holds `total` pending logins.
   */
  putTransaction(
    state: string,
    transaction: LoginTransaction,
    ttlMs: number,
    limits?: TransactionLimits,
  ): Promise<boolean>;
  /**
   * Atomically reads and deletes the login transaction `state` of `binding`: a second call for the same
   * `state` answers `undefined`. A call naming another binding answers `undefined` and leaves it in place, so
   * no one but its browser can spend it.
   */
  takeTransaction(state: string, binding: string): Promise<LoginTransaction | undefined>;

  /** Takes `key` for `owner` for `ttlMs` unless someone holds it (Redis `SET NX PX`). `true` when taken. */
  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases `key` only if `owner` still holds it. `true` when released. */
  releaseLock(key: string, owner: string): Promise<boolean>;

  /** Records `key` for `ttlMs`; `true` the first time, `false` while it is remembered (replay checks). */
  markOnce(key: string, ttlMs: number): Promise<boolean>;

  /**
   * Counts one hit of `key` in a fixed window, for rate limits: the first hit starts a window of `windowMs`,
   * after which the count starts again. Atomic: of concurrent hits, each gets a count of its own.
   */
  countHit(key: string, windowMs: number): Promise<HitCount>;

  /**
   * Leaves a small value (at most 16 KB) under `key` for one later request to take, for `ttlMs`: a handoff
   * from one request to the next (the logout page's hint). Replaces an earlier value of the same key.
   */
  putHandoff(key: string, value: string, ttlMs: number): Promise<void>;
  /** Atomically reads and deletes a handoff: a second call for the same `key` answers `undefined`. */
  takeHandoff(key: string): Promise<string | undefined>;
  /** Reads a handoff and leaves it where it is (a note several requests consult). */
  readHandoff(key: string): Promise<string | undefined>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}
