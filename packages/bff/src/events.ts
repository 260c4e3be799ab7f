import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type AuthMessage, readAuthMessage } from '@gatehouse/policy';
import { connectRedis, type RedisClient, type RedisTarget } from './session/redis-connection.js';

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
 * On a Redis Cluster it uses sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7): the channel lives in one
 * hash slot, so an event travels to that slot's primary and its subscribers only, not over the whole
 * cluster bus; after a failover the client subscribes again on the promoted replica. Behind Sentinel, the
 * client follows the primary and subscribes again there.
 *
 * @example
 * const bus = new RedisSessionEventBus({ url: process.env.REDIS_URL!, keyPrefix: 'gh:' });
 */
export class RedisSessionEventBus implements SessionEventBus {
  readonly #publisher: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #channel: string;
  readonly #sharded: boolean;
  readonly #local = new MemorySessionEventBus();

  constructor(options: { url?: string; target?: RedisTarget; keyPrefix?: string }) {
    const target: RedisTarget = options.target ?? { kind: 'single', url: options.url ?? '' };
    const common = {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (n: number) => Math.min(2000, 100 * 2 ** n),
    };
    this.#sharded = target.kind === 'cluster';
    const cluster = { enableOfflineQueue: false, clusterRetryStrategy: common.retryStrategy };
    this.#publisher = connectRedis(target, common, cluster);
    this.#subscriber = connectRedis(
      target,
      { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null },
      { ...cluster, enableOfflineQueue: true, shardedSubscribers: true },
    );
    this.#channel = `${options.keyPrefix ?? 'gh:'}events`;
    for (const client of [this.#publisher, this.#subscriber]) client.on('error', () => {});
    const onMessage = (channel: string, message: string): void => {
      if (channel !== this.#channel) return;
      const event = parseEvent(message);
      if (event) void this.#local.publish(event);
    };
    if (this.#sharded) {
      this.#subscriber.ssubscribe(this.#channel).catch(() => {});
      this.#subscriber.on('smessage', onMessage);
    } else {
      this.#subscriber.subscribe(this.#channel).catch(() => {});
      this.#subscriber.on('message', onMessage);
    }
  }

  async publish(event: SessionEvent): Promise<void> {
    try {
      const message = JSON.stringify(event);
      if (this.#sharded) await this.#publisher.spublish(this.#channel, message);
      else await this.#publisher.publish(this.#channel, message);
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
