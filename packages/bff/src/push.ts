import type { ServerResponse } from 'node:http';
import type { AuthMessage } from '@gatehouse/policy';
import type { Logger } from 'pino';
import type { SessionEvent, SessionEventBus } from './events.js';
import { sessionChannelKey } from './events.js';
import type { SessionManager } from './sessions.js';

/** Limits of the push channel. */
export interface PushLimits {
  /** Open streams per session (tabs); the session's oldest is closed beyond it. */
  readonly perSession: number;
  /**
   * Open streams per user (all their sessions) in this process; the user's oldest is closed beyond it, so
   * no one user can take the whole `total`.
   */
  readonly perUser: number;
  /** Open streams in this process; new ones get 503 beyond it. */
  readonly total: number;
  /** Milliseconds between keep-alive comments. */
  readonly keepAliveMs: number;
}

interface Stream {
  readonly id: string;
  /** The session's key on the event bus. */
  readonly key: string;
  readonly user: string;
  readonly res: ServerResponse;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The BFF's push channel (`GET /auth/events`, Server-Sent Events): each open tab holds one stream, and hears
 * at once when its session is logged out (user logout in another tab or instance, back- or front-channel
 * logout), expires (idle or absolute limit reached with no request at all, refresh rejected) or is extended.
 * A stream never counts as activity. Events come from the {@link SessionEventBus}, so every instance's tabs
 * hear about every instance's sessions.
 */
export class PushChannel {
  /** Session key → its streams, oldest first. */
  readonly #streams = new Map<string, Set<Stream>>();
  /** User → their streams across sessions, oldest first. */
  readonly #byUser = new Map<string, Set<Stream>>();
  readonly #sessions: SessionManager;
  readonly #log: Logger;
  readonly #limits: PushLimits;
  readonly #unsubscribe: () => void;
  #count = 0;

  constructor(sessions: SessionManager, bus: SessionEventBus, log: Logger, limits: Partial<PushLimits> = {}) {
    this.#sessions = sessions;
    this.#log = log;
    this.#limits = { perSession: 16, perUser: 64, total: 10_000, keepAliveMs: 25_000, ...limits };
    this.#unsubscribe = bus.subscribe((event) => this.#deliver(event));
  }

  /** Open streams in this process (for metrics and tests). */
  get size(): number {
    return this.#count;
  }

  /** Whether another stream may open now. */
  get full(): boolean {
    return this.#count >= this.#limits.total;
  }

  /**
   * Serves one stream for live session `id` of `user` (any string naming the user, e.g. from `iss` and
   * `sub`; the caller checked the session) until the session ends or the tab leaves. Beyond the session's or
   * the user's limit, their own oldest stream is closed first.
   */
  open(id: string, user: string, res: ServerResponse, expiresAt: number): void {
    const key = sessionChannelKey(id);
    const group = groupOf(this.#streams, key);
    if (group.size >= this.#limits.perSession) this.#close(group.values().next().value as Stream);
    const mine = groupOf(this.#byUser, user);
    if (mine.size >= this.#limits.perUser) this.#close(mine.values().next().value as Stream);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write(`retry: 5000\n\n`);
    const stream: Stream = { id, key, user, res, timer: undefined };
    groupOf(this.#streams, key).add(stream);
    groupOf(this.#byUser, user).add(stream);
    this.#count++;
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), this.#limits.keepAliveMs);
    keepAlive.unref();
    this.#watchExpiry(key, stream, expiresAt);
    res.on('close', () => {
      clearInterval(keepAlive);
      this.#close(stream);
    });
  }

  /** Open streams of `user` in this process (for tests and metrics). */
  streamsOf(user: string): number {
    return this.#byUser.get(user)?.size ?? 0;
  }

  /** Checks the session when its current expiry comes, without touching it; re-arms if it was extended. */
  #watchExpiry(key: string, stream: Stream, expiresAt: number): void {
    if (stream.timer) clearTimeout(stream.timer);
    const delay = Math.max(250, Math.min(expiresAt - Date.now() + 250, 2 ** 31 - 1));
    stream.timer = setTimeout(() => {
      this.#sessions.peek(stream.id).then(
        (found) => {
          // An ended session announced itself on the bus (peek ends it); otherwise wait for the new expiry.
          if ('record' in found) this.#watchExpiry(key, stream, this.#sessions.expiresAt(found.record));
          else if (found.ended === 'missing') this.#send(stream, { type: 'session-expired', session: key });
        },
        (error: unknown) => {
          this.#log.warn({ event: 'push_error', err: error }, 'session check failed');
          this.#watchExpiry(key, stream, Date.now() + 5000);
        },
      );
    }, delay);
    stream.timer.unref();
  }

  #deliver(event: SessionEvent): void {
    const group = this.#streams.get(event.session);
    if (!group) return;
    for (const stream of [...group]) {
      this.#send(stream, event);
      if (event.type === 'session-extended')
        this.#watchExpiry(event.session, stream, Date.parse(event.expiresAt));
    }
  }

  #send(stream: Stream, event: SessionEvent): void {
    const { session: _, ...message } = event;
    const data: AuthMessage = message;
    stream.res.write(`event: auth\ndata: ${JSON.stringify(data)}\n\n`);
    // Only the end of the session ends the stream.
    if (event.type === 'logged-out' || event.type === 'session-expired') stream.res.end();
  }

  #close(stream: Stream): void {
    const group = this.#streams.get(stream.key);
    if (!group?.delete(stream)) return;
    this.#count--;
    if (stream.timer) clearTimeout(stream.timer);
    if (group.size === 0) this.#streams.delete(stream.key);
    const mine = this.#byUser.get(stream.user);
    mine?.delete(stream);
    if (mine?.size === 0) this.#byUser.delete(stream.user);
    if (!stream.res.writableEnded) stream.res.end();
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    this.#unsubscribe();
    for (const group of this.#streams.values()) for (const stream of [...group]) this.#close(stream);
  }
}

/** The set under `key`, made empty when there is none. */
function groupOf<K>(groups: Map<K, Set<Stream>>, key: K): Set<Stream> {
  let group = groups.get(key);
  if (!group) {
    group = new Set();
    groups.set(key, group);
  }
  return group;
}
