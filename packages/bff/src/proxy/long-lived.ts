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

/** What a held connection is, for the `gatehouse_long_lived_connections` gauge. */
export interface LongLivedKind {
  readonly kind: 'ws' | 'sse';
  /** The upstream's name in the config. */
  readonly upstream: string;
}

/** Open connections of one kind to one upstream. */
export interface LongLivedCount extends LongLivedKind {
  open: number;
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
 * keep a session alive). Either way the connections close within a second, each by its own `close` (a
 * WebSocket's close frame 1008, an event stream's clean end). Counts by kind and upstream feed the
 * `gatehouse_long_lived_connections` gauge.
 */
export class LongLivedConnections {
  readonly #groups = new Map<string, SessionGroup>();
  readonly #sessions: SessionManager;
  readonly #log: Logger;
  readonly #limits: LongLivedLimits;
  readonly #unsubscribe: () => void;
  /** Open connections by kind and upstream; a pair once seen stays, so the gauge falls back to 0. */
  readonly #byKind = new Map<string, LongLivedCount>();
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

  /** Open connections by kind (`ws`, `sse`) and upstream, for the metrics gauge. */
  counts(): readonly LongLivedCount[] {
    return [...this.#byKind.values()];
  }

  /** Why session `id` may not open another connection now (429 or 503), or `undefined`. */
  refusal(id: string): Refusal | undefined {
    if (this.#count >= this.#limits.total) return FULL;
    const group = this.#groups.get(sessionChannelKey(id));
    return group !== undefined && group.held.size >= this.#limits.perSession ? PER_SESSION : undefined;
  }

  /**
   * Holds a connection of `session` until it is released; `close` ends it (both sides) when the session ends
   * or the BFF shuts down. The caller checked {@link refusal} just before. Once held, the session is read
   * again from the store (without counting as activity): a session that ended between the caller's look-up
   * and this registration was announced before anyone listened for it, and is found here instead — the store
   * forgets a session before announcing its end, so one of the two always sees it.
   */
  hold(session: ActiveSession, close: () => void, what: LongLivedKind): HeldConnection {
    const key = sessionChannelKey(session.id);
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = { id: session.id, key, held: new Set(), timer: undefined };
      this.#groups.set(key, group);
      this.#watchExpiry(group, this.#sessions.expiresAt(session.record));
    }
    const mine = group;
    const kindKey = `${what.kind} ${what.upstream}`;
    const tally = this.#byKind.get(kindKey) ?? { ...what, open: 0 };
    this.#byKind.set(kindKey, tally);
    const held: Held = { close, release: () => this.#release(mine, held, tally) };
    group.held.add(held);
    this.#count++;
    tally.open++;
    this.#recheck(mine, held);
    return held;
  }

  /** Ends `held` if its session is gone from the store (it ended before the connection was registered). */
  #recheck(group: SessionGroup, held: Held): void {
    const end = () => {
      if (!group.held.has(held)) return;
      held.release();
      held.close();
    };
    this.#sessions.peek(group.id).then(
      (found) => {
        if (!('record' in found)) end();
      },
      (error: unknown) => {
        // Fail closed: a session that cannot be read again is not trusted with an open connection.
        this.#log.warn({ event: 'long_lived_error', err: error }, 'session re-check failed');
        end();
      },
    );
  }

  #release(group: SessionGroup, held: Held, tally: LongLivedCount): void {
    if (!group.held.delete(held)) return;
    this.#count--;
    tally.open--;
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
