// A redis-server of the bench's own (bench/.tmp/redis-<port>), so its statistics and settings are the run's
// alone: the session-store suite counts the Redis commands a proxied request costs with INFO commandstats, and
// writes the session layouts on it after FLUSHALL.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { TMP_DIR } from '../lib/paths.js';

/** A private redis-server, running. */
export interface PrivateRedis {
  readonly url: string;
  readonly client: Redis;
  readonly version: string | undefined;
  stop(): Promise<void>;
}

/** Starts a private redis-server; `undefined` when `redis-server` is not on the PATH. */
export async function startPrivateRedis(): Promise<PrivateRedis | undefined> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  const port = await freePort();
  const dir = join(TMP_DIR, `redis-${port}`);
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => {});
  for (let waited = 0; ; waited += 50) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch {
      if (waited > 5000) throw new Error('the private redis-server did not start');
      client.disconnect();
      await sleep(50);
    }
  }
  return {
    url,
    client,
    version: /redis_version:(\S+)/.exec(await client.info('server'))?.[1],
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      await new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Commands the bench itself sends, left out of the counts. */
const OWN_COMMANDS = ['info', 'ping', 'config|set', 'config', 'flushall', 'hello', 'client|setinfo'];

/** Sum of `calls` over every command in INFO commandstats, except the ones the bench itself sends. */
export async function commandCalls(
  client: Redis,
): Promise<{ calls: number; byCommand: Record<string, number> }> {
  const text = await client.info('commandstats');
  let calls = 0;
  const byCommand: Record<string, number> = {};
  for (const match of text.matchAll(/^cmdstat_([\w|-]+):calls=(\d+)/gm)) {
    const [, command = '', count] = match;
    if (OWN_COMMANDS.includes(command)) continue;
    calls += Number(count);
    byCommand[command] = Number(count);
  }
  return { calls, byCommand };
}
