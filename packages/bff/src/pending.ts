import { createHash } from 'node:crypto';
import type { PendingAction } from '@gatehouse/policy';
import type { SessionStore } from './session/types.js';

/** A pending action as the store keeps it: with the user it belongs to. */
interface StoredPendingAction extends PendingAction {
  readonly iss: string;
  readonly sub: string;
}

/** The store key of a session's pending action: a hash of the session id, never the id itself. */
const keyOf = (sessionId: string) => `pending:${createHash('sha256').update(sessionId).digest('base64url')}`;

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

  /** Leaves `action` for session `sessionId` of user `iss` + `sub`. */
  async leave(sessionId: string, user: { iss: string; sub: string }, action: PendingAction): Promise<void> {
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
  async carry(from: string, to: string, user: { iss: string; sub: string }): Promise<boolean> {
    const raw = await this.#store.takeHandoff(keyOf(from));
    const stored = parse(raw);
    if (stored === undefined || raw === undefined || stored.iss !== user.iss || stored.sub !== user.sub)
      return false;
    await this.#store.putHandoff(keyOf(to), raw, this.#ttlMs);
    return true;
  }
}
