import { createHash } from 'node:crypto';
import type { PendingAction } from '@gatehouse/policy';
import type { SessionStore } from './session/types.js';

/** A pending action as the store keeps it: with the user it belongs to. */
interface StoredPendingAction extends PendingAction {
  readonly iss: string;
  readonly sub: string;
}

/** A hash of a session id: the store keys below never hold the id itself. */
const refOf = (sessionId: string) => createHash('sha256').update(sessionId).digest('base64url');

/** The store key of a session's pending action. */
const keyOf = (sessionId: string) => `pending:${refOf(sessionId)}`;

/** The store key of the note an expired session leaves: whose it was. */
const endedKeyOf = (sessionId: string) => `ended:${refOf(sessionId)}`;

/** The user a session belonged to. */
export interface SessionOwner {
  readonly iss: string;
  readonly sub: string;
}

function ownerOf(value: string | undefined): SessionOwner | undefined {
  if (value === undefined) return undefined;
  try {
    const { iss, sub } = JSON.parse(value) as Partial<SessionOwner>;
    return typeof iss === 'string' && typeof sub === 'string' ? { iss, sub } : undefined;
  } catch {
    return undefined;
  }
}

function parse(value: string | undefined): StoredPendingAction | undefined {
  if (value === undefined) return undefined;
  try {
    const stored = JSON.parse(value) as Partial<StoredPendingAction>;
    const strings = [stored.iss, stored.sub, stored.remote, stored.action];
    return strings.every((part) => typeof part === 'string') ? (stored as StoredPendingAction) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The one action a session's remote left waiting for a re-authentication, in the session store's handoffs
 * (memory or Redis): one per session (a newer one replaces it), for `ttlMs`. Keyed by a hash of the session
 * id, so only that session's requests reach it; {@link carry} moves it to the session a sign-in of the same
 * user makes.
 */
export class PendingActions {
  readonly #store: SessionStore;
  readonly #ttlMs: number;

  constructor(store: SessionStore, ttlMs: number) {
    this.#store = store;
    this.#ttlMs = ttlMs;
  }

  /**
   * Session `sessionId` of `user` expired (idle or absolute timeout, a refresh the issuer refused): for `ttlMs`
   * its tabs may still leave their unsent work ({@link leaveAfterExpiry}) for the user's next sign-in, and its
   * dead cookie is kept so that sign-in finds it. A session ended on purpose (a logout, an admin, the issuer,
   * a shared signal) leaves no note: its work goes with it.
   */
  async noteExpired(sessionId: string, user: SessionOwner): Promise<void> {
    const note = JSON.stringify({ iss: user.iss, sub: user.sub });
    await this.#store.putHandoff(endedKeyOf(sessionId), note, this.#ttlMs);
  }

  /** Whose session `sessionId` was, when it expired less than `ttlMs` ago ({@link noteExpired}). */
  async expiredOwner(sessionId: string): Promise<SessionOwner | undefined> {
    return ownerOf(await this.#store.readHandoff(endedKeyOf(sessionId)));
  }

  /**
   * Leaves `action` for the next sign-in after session `sessionId` expired; false (nothing left) when it did
   * not expire lately ({@link noteExpired}).
   */
  async leaveAfterExpiry(sessionId: string, action: PendingAction): Promise<boolean> {
    const owner = await this.expiredOwner(sessionId);
    if (owner === undefined) return false;
    await this.leave(sessionId, owner, action);
    return true;
  }

  /** Leaves `action` for session `sessionId` of user `iss` + `sub`. */
  async leave(sessionId: string, user: SessionOwner, action: PendingAction): Promise<void> {
    const stored: StoredPendingAction = { iss: user.iss, sub: user.sub, ...action };
    await this.#store.putHandoff(keyOf(sessionId), JSON.stringify(stored), this.#ttlMs);
  }

  /** Takes the action `remote` left for `sessionId` (once); another remote's stays where it is. */
  async take(sessionId: string, remote: string): Promise<PendingAction | undefined> {
    const key = keyOf(sessionId);
    const raw = await this.#store.takeHandoff(key);
    const stored = parse(raw);
    if (stored === undefined || raw === undefined) return undefined;
    if (stored.remote !== remote) {
      await this.#store.putHandoff(key, raw, this.#ttlMs);
      return undefined;
    }
    return { remote: stored.remote, action: stored.action, data: stored.data };
  }

  /**
   * A sign-in replaced session `from` by `to`: its pending action follows when both are the same user's
   * (`iss` + `sub`), else it is dropped. Answers whether one was carried.
   */
  async carry(from: string, to: string, user: SessionOwner): Promise<boolean> {
    await this.#store.takeHandoff(endedKeyOf(from));
    const raw = await this.#store.takeHandoff(keyOf(from));
    const stored = parse(raw);
    if (stored === undefined || raw === undefined || stored.iss !== user.iss || stored.sub !== user.sub)
      return false;
    await this.#store.putHandoff(keyOf(to), raw, this.#ttlMs);
    return true;
  }
}
