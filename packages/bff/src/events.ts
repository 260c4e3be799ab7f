import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type AuthMessage, readAuthMessage } from '@gatehouse/policy';
import { Redis } from 'ioredis';

/**
 * One session event: the message the session's open tabs get (the push channel's own words, from
 * `@gatehouse/policy`), and `session`, the {@link sessionChannelKey} of its id: the raw id never travels.
 */
export type SessionEvent = Exclude<AuthMessage, { readonly type: 'logged-in' }> & {
  readonly session: string;
};

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

/** Parses an event from the wire, or `undefined` when it is not exactly one. */
function parseEvent(text: string): SessionEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { session, ...rest } = value as Record<string, unknown>;
  const message = readAuthMessage(rest);
  if (typeof session !== 'string' || session.length > 64 || !message || message.type === 'logged-in')
    return undefined;
  return { ...message, session };
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
