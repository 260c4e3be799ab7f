// The Redis session store on a Redis Cluster of its own (3 primaries, 3 replicas, started by this file):
// the same contract suite as on one Redis, keys of one script in one hash slot, and the layout a cluster gets.
import { describeWith, type RedisCluster, startRedisCluster } from '@gatehouse/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisSessionEventBus, type SessionEvent, sessionChannelKey } from '../src/events.js';
import { newOpaqueToken, newSessionId, RedisSessionStore } from '../src/session/index.js';
import { sessionRecord, sessionStoreContract } from './session-store.contract.js';

/**
 * Timeouts for a shared, busy test machine: the contract is about behaviour, and a cluster client's first
 * calls (learning the slots, connecting to each primary) take longer than one server's.
 */
const patient = { connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 };

await describeWith(['redis-server'], 'RedisSessionStore on a Redis Cluster', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  sessionStoreContract(
    'RedisSessionStore (cluster)',
    async () => new RedisSessionStore({ cluster: cluster.urls, keyPrefix: 'gh:', ...patient }),
  );

  it('keeps a session and its index keys in one slot, and spreads single keys over the primaries', async () => {
    const store = new RedisSessionStore({
      cluster: cluster.urls.slice(0, 1),
      keyPrefix: 'layout:',
      ...patient,
    });
    const iss = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    const id = newSessionId();
    try {
      await store.create(id, sessionRecord({ iss, sub: 'alice', sid: 's1' }), 10_000);
      const home = await cluster.primaryOf('{layout:}');
      const keys = (await home.cli('KEYS', '{layout:}*')).split('\n').sort();
      expect(keys.map((key) => key.slice(0, 11))).toEqual(['{layout:}o:', '{layout:}s:', '{layout:}u:']);
      expect(keys).toContain(`{layout:}s:${id}`);

      const owners = new Set<number>();
      for (let n = 0; n < 12; n++) {
        expect(await store.acquireLock(`lock-${n}`, 'me', 10_000)).toBe(true);
        const owner = await cluster.primaryOf(`layout:lock:lock-${n}`);
        expect(await owner.cli('GET', `layout:lock:lock-${n}`)).toBe('me');
        owners.add(owner.port);
      }
      expect(owners.size).toBe(3);
    } finally {
      await store.close();
    }
  }, 90_000);

  it('carries session events between instances over sharded pub/sub', async () => {
    const target = { kind: 'cluster' as const, nodes: cluster.urls };
    const [one, two] = [0, 1].map(() => new RedisSessionEventBus({ target, keyPrefix: 'events-test:' }));
    try {
      const heard: SessionEvent[] = [];
      two!.subscribe((event) => heard.push(event));
      const session = sessionChannelKey(newSessionId());
      const event: SessionEvent = { type: 'logged-out', reason: 'backchannel_logout', session };
      // The subscriber may still be joining its shard: publish until the other instance hears one.
      for (let n = 0; n < 50 && heard.length === 0; n++) {
        await one!.publish(event);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(heard[0]).toEqual(event);
      const home = await cluster.primaryOf('events-test:events');
      expect(await home.cli('PUBSUB', 'SHARDNUMSUB', 'events-test:events')).toMatch(
        /events-test:events\n[1-9]/,
      );
    } finally {
      await Promise.all([one!.close(), two!.close()]);
    }
  });

  it('refuses a key prefix with a hash tag of its own', () => {
    expect(() => new RedisSessionStore({ cluster: cluster.urls, keyPrefix: '{x}' })).toThrow(/hash tags/);
  });
});
