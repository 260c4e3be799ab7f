// Redis servers a test starts for itself: a Redis Cluster of primaries with replicas, or one server, each
// on free high ports of 127.0.0.1 in a temporary directory, without persistence. Fault tests kill, pause and
// restart them; only the processes started here are ever signalled.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** Path of `name` (redis-server, redis-cli) on PATH, or `undefined`. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name);
    if (dir && existsSync(path)) return path;
  }
  return undefined;
}

/** Says why no Redis server can be started here, or `undefined` when one can. */
export function redisServerMissing(): string | undefined {
  const missing = ['redis-server', 'redis-cli'].filter((name) => !onPath(name));
  return missing.length === 0
    ? undefined
    : `${missing.join(' and ')} not installed (apt-get install -y redis-server)`;
}

/** One redis-server process started by a test. */
export interface RedisNode {
  readonly port: number;
  readonly url: string;
  /** The running process's id (changes on `restart`), `undefined` while it is down. */
  readonly pid: number | undefined;
  /** Sends one command with redis-cli and answers its output (trimmed). */
  cli(...args: string[]): Promise<string>;
  /** SIGKILL: the server dies without a word. */
  kill(): Promise<void>;
  /** SIGSTOP: the server stops answering but keeps its connections open (a network that hangs). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Starts the server again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`Redis test servers: ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startNode(dir: string, extra: string[]): Promise<RedisNode> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const cli = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
      timeout: 5_000,
    });
    return stdout.trim();
  };
  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly'];
    const process = spawn('redis-server', [...args, 'no', '--protected-mode', 'no', ...extra], {
      stdio: 'ignore',
    });
    child = process;
    started.add(process);
    process.once('exit', () => {
      started.delete(process);
      if (child === process) child = undefined;
    });
    await waitFor(
      `redis-server on port ${port} answering`,
      async () => (await cli('PING')) === 'PONG',
      10_000,
    );
  };
  const kill = async (): Promise<void> => {
    const process = child;
    if (!process || process.exitCode !== null) return;
    const exited = new Promise((resolve) => process.once('exit', resolve));
    process.kill('SIGCONT');
    process.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    cli,
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    restart: async () => {
      await kill();
      await start();
    },
  };
}

/** A standalone redis-server of a test's own. */
export interface RedisServer extends RedisNode {
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts one redis-server on a free port, for tests that kill, pause or empty it (never the shared one).
 *
 * @example
 * const redis = await startRedisServer();
 * redis.pause(); // SIGSTOP
 * await redis.stop();
 */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-redis-'));
  const node = await startNode(dir, []);
  return Object.assign(node, {
    stop: async () => {
      await node.kill();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** A Redis Cluster of a test's own. */
export interface RedisCluster {
  /** Every node, primaries and replicas as `redis-cli --cluster create` paired them. */
  readonly nodes: readonly RedisNode[];
  /** URLs of every node (seeds for a cluster client). */
  readonly urls: readonly string[];
  /** The node that serves `key`'s hash slot as primary now. */
  primaryOf(key: string): Promise<RedisNode>;
  /** Waits until every live node says the cluster is ok and `primaries` primaries serve the slots. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes the directory. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Primaries (at least 3, Redis Cluster's minimum). Default 3. */
  readonly primaries?: number;
  /** Replicas of each primary. Default 1. */
  readonly replicas?: number;
  /** `cluster-node-timeout`: how long a primary may be silent before its replica takes over. Default 1 000. */
  readonly nodeTimeoutMs?: number;
}

/**
 * Starts a Redis Cluster on 127.0.0.1 (default 3 primaries with 1 replica each): `redis-server
 * --cluster-enabled yes` on free ports in a temporary directory, joined by `redis-cli --cluster create`.
 * Replicas take over from a dead primary after `nodeTimeoutMs` (however stale they are).
 *
 * @example
 * const cluster = await startRedisCluster();
 * const store = new RedisSessionStore({ cluster: cluster.urls });
 * await cluster.stop();
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { primaries = 3, replicas = 1, nodeTimeoutMs = 1_000 } = options;
  const dir = await mkdtemp(join(tmpdir(), 'gh-redis-cluster-'));
  const nodes: RedisNode[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let n = 0; n < primaries * (1 + replicas); n++) {
      const busPort = await freePort();
      const extra = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${n}.conf`];
      extra.push('--cluster-node-timeout', String(nodeTimeoutMs), '--cluster-port', String(busPort));
      extra.push('--cluster-replica-validity-factor', '0', '--dbfilename', `dump-${n}.rdb`);
      nodes.push(await startNode(dir, extra));
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    const create = [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ];
    await run('redis-cli', create, { timeout: 30_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  const byPort = new Map(nodes.map((node) => [node.port, node]));
  const cluster: RedisCluster = {
    nodes,
    urls: nodes.map((node) => node.url),
    primaryOf: async (key) => {
      const live = nodes.find((node) => node.pid !== undefined);
      const slot = await live?.cli('CLUSTER', 'KEYSLOT', key);
      const owner = (await live?.cli('CLUSTER', 'NODES'))
        ?.split('\n')
        .map((line) => line.split(' '))
        .find(
          (fields) =>
            fields[2]?.includes('master') && !fields[2].includes('fail') && ownsSlot(fields, Number(slot)),
        );
      const port = Number(owner?.[1]?.split(/[:@]/)[1]);
      const node = byPort.get(port);
      if (!node) throw new Error(`Redis test cluster: no primary serves slot ${slot}`);
      return node;
    },
    healthy: (timeoutMs = 20_000) =>
      waitFor('cluster healthy', () => clusterHealthy(nodes, primaries, 0), timeoutMs),
    stop,
  };
  await waitFor('cluster formed', () => clusterHealthy(nodes, primaries, replicas), 30_000).catch(
    async (error: unknown) => {
      await stop();
      throw error;
    },
  );
  return cluster;
}

/** True when a `CLUSTER NODES` line (split on spaces) lists a range or slot that holds `slot`. */
function ownsSlot(fields: string[], slot: number): boolean {
  return fields.slice(8).some((range) => {
    const [from, to = from] = range.split('-').map(Number);
    return from !== undefined && to !== undefined && slot >= from && slot <= to;
  });
}

async function clusterHealthy(
  nodes: readonly RedisNode[],
  primaries: number,
  replicas: number,
): Promise<boolean> {
  const live = nodes.filter((node) => node.pid !== undefined);
  for (const node of live) {
    if (!(await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
  }
  const lines = (await live[0]?.cli('CLUSTER', 'NODES'))?.split('\n') ?? [];
  const healthy = lines.filter((line) => !line.includes('fail') && !line.includes('disconnected'));
  const masters = healthy.filter((line) => line.split(' ')[2]?.includes('master'));
  const slaves = healthy.filter((line) => line.split(' ')[2]?.includes('slave'));
  if (masters.length < primaries || slaves.length < primaries * replicas) return false;
  for (const node of live) {
    const info = await node.cli('INFO', 'replication');
    if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
  }
  return true;
}

/** A primary, its replica and three sentinels watching them, of a test's own. */
export interface RedisSentinelSetup {
  /** The name the sentinels know the primary by (`GATEHOUSE_REDIS_SENTINEL`). */
  readonly name: string;
  /** The first primary and its replica (which one is primary changes with a failover). */
  readonly nodes: readonly RedisNode[];
  /** URLs of the sentinels (`REDIS_URL` with `GATEHOUSE_REDIS_SENTINEL`). */
  readonly sentinelUrls: readonly string[];
  /** The node the sentinels name as primary now. */
  primary(): Promise<RedisNode>;
  /** Waits until the sentinels name a primary other than `previous`, and it has a replica linked or none left. */
  failedOver(previous: RedisNode, timeoutMs?: number): Promise<RedisNode>;
  /** Kills every process and removes the directory. */
  stop(): Promise<void>;
}

/**
 * Starts a primary, one replica and three sentinels (quorum 2) on 127.0.0.1, in a temporary directory: the
 * sentinels see a primary that stops answering as down after `downAfterMs` (default 1 000) and promote the
 * replica. Each sentinel is `redis-server <its config> --sentinel`.
 *
 * @example
 * const setup = await startRedisSentinel();
 * const store = new RedisSessionStore({ sentinel: { name: setup.name, sentinels: setup.sentinelUrls } });
 * await (await setup.primary()).kill(); // the replica takes over
 */
export async function startRedisSentinel(
  options: { downAfterMs?: number } = {},
): Promise<RedisSentinelSetup> {
  const name = 'gh-primary';
  const dir = await mkdtemp(join(tmpdir(), 'gh-redis-sentinel-'));
  const nodes: RedisNode[] = [];
  const sentinels: RedisNode[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([...nodes, ...sentinels].map((node) => node.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const primary = await startNode(dir, ['--dbfilename', 'dump-0.rdb']);
    nodes.push(primary);
    const replicaArgs = ['--dbfilename', 'dump-1.rdb', '--replicaof', '127.0.0.1', String(primary.port)];
    nodes.push(await startNode(dir, replicaArgs));
    await waitFor(
      'the replica linked to its primary',
      async () => (await nodes[1]!.cli('INFO', 'replication')).includes('master_link_status:up'),
      15_000,
    );
    for (let n = 0; n < 3; n++) {
      const lines = [
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
      ];
      sentinels.push(await startSentinel(dir, n, lines));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const byPort = new Map(nodes.map((node) => [node.port, node]));
  const primary = async (): Promise<RedisNode> => {
    for (const sentinel of sentinels) {
      const answer = await sentinel.cli('SENTINEL', 'get-master-addr-by-name', name).catch(() => '');
      const node = byPort.get(Number(answer.split('\n')[1]));
      if (node) return node;
    }
    throw new Error('Redis test sentinels: no sentinel names a primary');
  };
  await waitFor(
    'every sentinel sees the replica and the other sentinels',
    async () => {
      for (const sentinel of sentinels) {
        const info = await sentinel.cli('SENTINEL', 'master', name);
        if (!/num-slaves\n1\n/.test(info) || !/num-other-sentinels\n2\n/.test(info)) return false;
      }
      return true;
    },
    30_000,
  ).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return {
    name,
    nodes,
    sentinelUrls: sentinels.map((sentinel) => sentinel.url),
    primary,
    failedOver: async (previous, timeoutMs = 30_000) => {
      let next: RedisNode | undefined;
      await waitFor(
        'a replica promoted by the sentinels',
        async () => {
          next = await primary();
          return next !== previous && (await next.cli('INFO', 'replication')).includes('role:master');
        },
        timeoutMs,
      );
      return next!;
    },
    stop,
  };
}

/** One sentinel on a free port: `redis-server <config> --sentinel`, its config file written (it rewrites it). */
async function startSentinel(dir: string, n: number, monitor: readonly string[]): Promise<RedisNode> {
  const port = await freePort();
  const file = join(dir, `sentinel-${n}.conf`);
  await writeFile(
    file,
    [`port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${dir}`, ...monitor, ''].join('\n'),
  );
  let child: ChildProcess | undefined;
  const cli = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
      timeout: 5_000,
    });
    return stdout.trim();
  };
  const start = async (): Promise<void> => {
    const process = spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' });
    child = process;
    started.add(process);
    process.once('exit', () => {
      started.delete(process);
      if (child === process) child = undefined;
    });
    await waitFor(`sentinel on port ${port} answering`, async () => (await cli('PING')) === 'PONG', 10_000);
  };
  const kill = async (): Promise<void> => {
    const process = child;
    if (!process || process.exitCode !== null) return;
    const exited = new Promise((resolve) => process.once('exit', resolve));
    process.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    cli,
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    restart: async () => {
      await kill();
      await start();
    },
  };
}
