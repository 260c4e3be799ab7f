// `npm run load`: issue 7's load test (load/load-test.ts): 1000 sessions, each a real login, for 60 s over 2 BFF
// instances with 30-second access tokens. Prints errors (goal 0), refreshes per session (from the IdP's grant
// count and from the BFF metrics) and latency percentiles, and writes .bench-results/load.md; `--record` also
// writes the committed bench/load.md. `--quick` runs 50 sessions for 15 s. Settings in the environment (see
// bench/README.md). Exits 1 when there was any error. `LOAD_REDIS_CLUSTER=1` runs it on a Redis Cluster of its own
// (3 primaries, 3 replicas on free ports, started and stopped by the run) instead of REDIS_URL; with it,
// `LOAD_FAULT=kill-primary` kills the sessions' primary `LOAD_FAULT_AT` seconds into the load (load/fault.ts).
import { randomBytes } from 'node:crypto';
import { type RedisCluster, redisUrl, startRedisCluster } from '@gatehouse/testing';
import { machine } from './lib/machine.js';
import { writeReport } from './lib/output.js';
import { killAllNow, stopAll } from './lib/processes.js';
import { deleteByPrefix, probeRedis } from './lib/redis.js';
import { parseFlags } from './lib/settings.js';
import { killPrimary } from './load/fault.js';
import { type LoadFigures, runLoadTest } from './load/load-test.js';
import { loadReport } from './load/report.js';
import { loadTestSettings } from './load/settings.js';

const flags = parseFlags('npm run load -- [--quick] [--record]');
if (flags.record && flags.quick) {
  console.error('--record writes bench/load.md from a full run only, not with --quick.');
  process.exit(2);
}
const settings = loadTestSettings(flags.quick);
// Unique to the run, and short like the default `gh:`: keys under a prefix of up to 10 characters cost what
// they cost under `gh:` (longer ones move each key up an allocator size class, 16 B).
const prefix = `gl${randomBytes(3).toString('hex')}:`;
const log = (line: string) => console.log(line);
const onCluster = process.env.LOAD_REDIS_CLUSTER === '1';
let cluster: RedisCluster | undefined;

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopping = true;
    console.error(`\n${signal}: stopping…`);
    void Promise.allSettled([stopAll(), deleteByPrefix(redisUrl, prefix), cluster?.stop()]).finally(() =>
      process.exit(130),
    );
  });
}
process.on('exit', killAllNow);

async function main(): Promise<LoadFigures> {
  log(
    `Gatehouse load test: ${settings.sessions} sessions for ${settings.durationS}s over ${settings.instances} BFF ` +
      `instances, ${settings.tokenTtlS}-second access tokens (refreshLeeway ${settings.refreshLeewayS}s), ` +
      `${settings.ratePerSession} request/s per session${flags.quick ? ' (--quick: a check, not a record)' : ''}`,
  );
  if (onCluster) {
    cluster = await startRedisCluster();
    log(
      `Redis Cluster of 3 primaries and 3 replicas on ports ${cluster.nodes.map((node) => node.port).join(', ')}`,
    );
  }
  const redis = await probeRedis(cluster?.urls[0] ?? redisUrl);
  if (!redis.ok) throw new Error(`the load test needs Redis: ${redis.reason}`);
  const running = cluster;
  const sessionsSlot = `{${prefix}}`;
  const result = await runLoadTest({
    settings,
    redisUrl: running ? running.urls.join(',') : redisUrl,
    ...(running ? { cluster: { memoryUrl: async () => (await running.primaryOf(sessionsSlot)).url } } : {}),
    ...(running && settings.fault === 'kill-primary'
      ? { fault: () => killPrimary(running, sessionsSlot) }
      : {}),
    prefix,
    secret: randomBytes(36).toString('base64url'),
    stopping: () => stopping,
    log,
  });
  const description = {
    ...machine(['packages/bff', 'packages/dev-idp', 'packages/policy'], 'packages/bff, dev-idp or policy'),
    redis: `${redis.version}${cluster ? ' (a Redis Cluster of 3 primaries with 1 replica each, on this machine)' : ''}`,
  };
  const { text, markdown } = loadReport(result, settings, description);
  log(`\n${text}`);
  log(
    `\nWrote ${writeReport(settings.fault ? 'load-failover.md' : onCluster ? 'load-cluster.md' : 'load.md', markdown, flags.record).join(' and ')}`,
  );
  if (!flags.record && !flags.quick)
    log('(npm run load -- --record writes bench/load.md, the committed record.)');
  return result;
}

let exitCode = 0;
try {
  const result = await main();
  const errors = result.failover
    ? Object.values(result.failover.outside).reduce((sum, n) => sum + n, 0) + result.loginErrors
    : result.errorCount;
  if (errors > 0) exitCode = 1;
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  exitCode = 1;
} finally {
  await stopAll();
  await cluster?.stop();
  const deleted = await deleteByPrefix(redisUrl, prefix).catch(() => 0);
  log(`Redis: deleted ${deleted} key(s) under ${prefix}`);
}
process.exit(exitCode);
