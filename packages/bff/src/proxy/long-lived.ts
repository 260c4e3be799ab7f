import type { Logger } from 'pino';
import { type SessionEvent, type SessionEventBus, sessionChannelKey } from '../events.js';
import type { ActiveSession, SessionManager } from '../sessions.js';
import type { Refusal } from './checks.js';

/** Caps on long-lived upstream connections. */
export interface LongLivedLimits {
  /** Open connections per session in this process; beyond, 429. */
  readonly perSession: number;
  /** Open connections in this process; beyond, 503. */
  readonly total: number;
}

/** One held connection: how to end it, and whether it ended already. */
export interface HeldConnection {
  /** Forgets the connection (it closed on its own); idempotent. */
  release(): void;
}

interface Held extends HeldConnection {
  readonly close: () => void;
}

/** The open connections of one session, and the timer that checks the session when its expiry comes. */
interface SessionGroup {
  readonly id: string;
  readonly key: string;
  readonly held: Set<Held>;
  timer: NodeJS.Timeout | undefined;
}

const PER_SESSION: Refusal = Object.freeze({
  status: 429,
  code: 'too_many_requests',
  detail: 'Too many open connections for this session.',
});
const FULL: Refusal = Object.freeze({
  status: 503,
  code: 'upstream_unavailable',
  detail: 'Too many open connections.',
});

/**
 * The long-lived upstream connections of this process (WebSockets and event streams through `/api/*`), by
 * session: each is closed as soon as its session ends, wherever that happened. A logout, back- or
 * front-channel logout, or a refresh the issuer refused is announced on the {@link SessionEventBus} (every
 * process hears it, as the push channel does); an idle or absolute expiry with no request at all is found
 * by checking the session when its expiry comes (without counting as activity: an open connection does not
 * keep a session alive). Either way the connections close within a second.
 */
export class LongLivedConnections {
  readonly #groups = new Map<string, SessionGroup>();
  readonly #sessions: SessionManager;
  readonly #log: Logger;
  readonly #limits: LongLivedLimits;
  readonly #unsubscribe: () => void;
  #count = 0;

  constructor(sessions: SessionManager, bus: SessionEventBus, log: Logger, limits: LongLivedLimits) {
    this.#sessions = sessions;
    this.#log = log;
    this.#limits = limits;
    this.#unsubscribe = bus.subscribe((event) => this.#deliver(event));
  }

  /** Open long-lived connections in this process (for metrics, tests and benchmarks). */
  get size(): number {
    return this.#count;
  }

  /** Why session `id` may not open another connection now (429 or 503), or `undefined`. */
  refusal(id: string): Refusal | undefined {
    if (this.#count >= this.#limits.total) return FULL;
    const group = this.#groups.get(sessionChannelKey(id));
    return group !== undefined && group.held.size >= this.#limits.perSession ? PER_SESSION : undefined;
  }

  /**
   * Holds a connection of `session` until it is released; `close` ends it (both sides) when the session ends
   * or the BFF shuts down. The caller checked {@link refusal} just before.
   */
  hold(session: ActiveSession, close: () => void): HeldConnection {
    const key = sessionChannelKey(session.id);
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = { id: session.id, key, held: new Set(), timer: undefined };
      this.#groups.set(key, group);
      this.#watchExpiry(group, this.#sessions.expiresAt(session.record));
    }
    const mine = group;
    const held: Held = { close, release: () => this.#release(mine, held) };
    group.held.add(held);
    this.#count++;
    return held;
  }

  #release(group: SessionGroup, held: Held): void {
    if (!group.held.delete(held)) return;
    this.#count--;
    if (group.held.size > 0) return;
    if (group.timer) clearTimeout(group.timer);
    this.#groups.delete(group.key);
  }

  /** Closes every connection of the session (it ended). */
  #end(group: SessionGroup): void {
    for (const held of [...group.held]) {
      held.release();
      held.close();
    }
  }

  #deliver(event: SessionEvent): void {
    const group = this.#groups.get(event.session);
    if (group === undefined) return;
    if (event.type === 'session-extended') this.#watchExpiry(group, Date.parse(event.expiresAt));
    else this.#end(group);
  }

  /** Checks the session when its current expiry comes, without touching it; re-arms if it was extended. */
  #watchExpiry(group: SessionGroup, expiresAt: number): void {
    if (group.timer) clearTimeout(group.timer);
    const delay = Math.max(250, Math.min(expiresAt - Date.now() + 250, 2 ** 31 - 1));
    group.timer = setTimeout(() => {
      this.#sessions.peek(group.id).then(
        (found) => {
          // An expired session is ended by `peek`, which announces it: the bus closes the connections.
          if ('record' in found) this.#watchExpiry(group, this.#sessions.expiresAt(found.record));
          else this.#end(group);
        },
        (error: unknown) => {
          this.#log.warn({ event: 'long_lived_error', err: error }, 'session check failed');
          this.#watchExpiry(group, Date.now() + 5000);
        },
      );
    }, delay);
    group.timer.unref();
  }

  /** Closes every connection (server shutdown). */
  close(): void {
    this.#unsubscribe();
    for (const group of [...this.#groups.values()]) this.#end(group);
  }
}
