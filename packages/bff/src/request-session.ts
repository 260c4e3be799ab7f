import type { CookieJar, CookieSession } from './cookies.js';
import type { ActiveSession, Ended, SessionManager } from './sessions.js';

/** No session cookie, or one this BFF did not sign: the request is anonymous. */
export type NoSession = { readonly ended: undefined };

/** What a request's session turned out to be: live, ended (and why), or none at all. */
export type SessionLookup = ActiveSession | Ended | NoSession;

const NO_SESSION: NoSession = Object.freeze({ ended: undefined });

/**
 * The session of one request (`request.session` in the BFF's routes), looked up lazily: the cookie's
 * signature is checked the first time a route asks, the store is read only by {@link active} or
 * {@link peek}, and each at most once per request. Routes that need no session (the login, the reports)
 * pay for nothing.
 *
 * @example
 * const found = await request.session.peek();
 * if ('record' in found) return reply.send(sessions.identity(found.record));
 */
export class RequestSession {
  readonly #cookieHeader: string | undefined;
  readonly #cookies: CookieJar;
  readonly #sessions: SessionManager;
  #cookie: CookieSession | undefined;
  #active: Promise<SessionLookup> | undefined;
  #peeked: Promise<SessionLookup> | undefined;

  constructor(cookieHeader: string | undefined, cookies: CookieJar, sessions: SessionManager) {
    this.#cookieHeader = cookieHeader;
    this.#cookies = cookies;
    this.#sessions = sessions;
  }

  /** What the `Cookie` header says: no session cookie, one we did not sign, or a session id. */
  get cookie(): CookieSession {
    this.#cookie ??= this.#cookies.session(this.#cookieHeader);
    return this.#cookie;
  }

  /** The session id of a cookie this BFF signed (the session may have ended since), else `undefined`. */
  get id(): string | undefined {
    const cookie = this.cookie;
    return cookie.kind === 'id' ? cookie.id : undefined;
  }

  /** The live session, counted as activity (pages, the push channel), or why there is none. */
  active(): Promise<SessionLookup> {
    this.#active ??= this.#lookup((id) => this.#sessions.resolve(id));
    return this.#active;
  }

  /** The live session without counting as activity (`/auth/session`, assets), or why there is none. */
  peek(): Promise<SessionLookup> {
    this.#peeked ??= this.#lookup((id) => this.#sessions.peek(id));
    return this.#peeked;
  }

  /**
   * Whether an answer to `found` (this request's lookup) clears the session cookie: when the session ended,
   * unless it expired within `loginTimeout` — the next sign-in reads that dead cookie to carry the work its
   * tabs left ({@link SessionManager.pending}); a sign-in replaces it, a logout clears it.
   */
  async clearsCookie(found: SessionLookup): Promise<boolean> {
    if ('record' in found || found.ended === undefined) return false;
    const id = this.id;
    return id === undefined || (await this.#sessions.pending.expiredOwner(id)) === undefined;
  }

  async #lookup(find: (id: string) => SessionLookup | Promise<SessionLookup>): Promise<SessionLookup> {
    const id = this.id;
    return id === undefined ? NO_SESSION : find(id);
  }
}
