import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/** What happened to a session, as the browser's push channel tells it. */
export type SessionEventType = 'logged-out' | 'session-expired' | 'session-extended';

/** One session event. `session` is {@link sessionChannelKey} of the id: the raw id never travels. */
export interface SessionEvent {
  readonly type: SessionEventType;
  readonly session: string;
  readonly reason?: string;
  readonly expiresAt?: string;
}

/**
 * Carries session events to every BFF process, so an open tab hears about a logout or an expiry wherever
 * it happened: in memory for one process, Redis pub/sub for many.
 */
export interface SessionEventBus {
  publish(event: SessionEvent): Promise<void>;
  /** Calls `listener` for every event; answers the unsubscribe function. */
  subscribe(listener: (event: SessionEvent) => void): () => void;
  close(): Promise<void>;
}

/** The key that stands for a session id on the event bus and in push subscriptions (SHA-256, base64url). */
export function sessionChannelKey(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

const TYPES = new Set<SessionEventType>(['logged-out', 'session-expired', 'session-extended']);

/** Parses an event from the wire, or `undefined` when it is not one. */
function parseEvent(text: string): SessionEvent | undefined {
  try {
    const value = JSON.parse(text) as Partial<SessionEvent>;
    if (!value || !TYPES.has(value.type as SessionEventType) || typeof value.session !== 'string')
      return undefined;
    return {
      type: value.type as SessionEventType,
      session: value.session,
      ...(typeof value.reason === 'string' ? { reason: value.reason.slice(0, 64) } : {}),
      ...(typeof value.expiresAt === 'string' ? { expiresAt: value.expiresAt.slice(0, 40) } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Session events within one process. */
export class MemorySessionEventBus implements SessionEventBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: SessionEvent): Promise<void> {
    this.#emitter.emit('event', event);
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}

/**
 * Session events over Redis pub/sub (channel `<prefix>events`), for several BFF instances. Publishing never
 * throws: a lost event only delays what the next request or the session's own expiry tells the browser.
 *
 * @example
 * const bus = new RedisSessionEventBus({ url: process.env.REDIS_URL!, keyPrefix: 'gh:' });
 */
export class RedisSessionEventBus implements SessionEventBus {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #local = new MemorySessionEventBus();

  constructor(options: { url: string; keyPrefix?: string }) {
    const common = {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (n: number) => Math.min(2000, 100 * 2 ** n),
    };
    this.#publisher = new Redis(options.url, common);
    this.#subscriber = new Redis(options.url, {
      ...common,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    this.#channel = `${options.keyPrefix ?? 'gh:'}events`;
    for (const client of [this.#publisher, this.#subscriber]) client.on('error', () => {});
    this.#subscriber.subscribe(this.#channel).catch(() => {});
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      const event = parseEvent(message);
      if (event) void this.#local.publish(event);
    });
  }

  async publish(event: SessionEvent): Promise<void> {
    try {
      await this.#publisher.publish(this.#channel, JSON.stringify(event));
    } catch {
      // Redis is away: tell this process's own subscribers at least.
      await this.#local.publish(event);
    }
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.#local.close();
    await Promise.allSettled([this.#subscriber.quit(), this.#publisher.quit()]);
  }
}
