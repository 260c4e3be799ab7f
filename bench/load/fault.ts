// The load test's fault schedule (issue 20): `LOAD_FAULT=kill-primary` (with `LOAD_REDIS_CLUSTER=1`) kills,
// `LOAD_FAULT_AT` seconds into the load, the Redis Cluster primary that holds the sessions' hash slot, and
// watches its replica take over. The figures: requests refused meanwhile, and how long after the promotion the
// last of them was answered.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisCluster } from '@gatehouse/testing';

/** The faults `LOAD_FAULT` names. */
export const loadFaults = ['kill-primary'] as const;

/** What happened when (ms since the epoch). */
export interface FaultTimes {
  /** The primary got SIGKILL. */
  readonly killedAt: number;
  /** A live node first named another primary for the slot, or `undefined` when none did within 60 s. */
  readonly promotedAt: number | undefined;
  /** The primary killed and the one that took over (`127.0.0.1:port`). */
  readonly killed: string;
  readonly promoted: string | undefined;
}

/** One request that failed during the load: when its answer (or error) came, and its kind. */
export interface FailedRequest {
  readonly at: number;
  readonly kind: string;
}

/** The failover, as the load saw it. */
export interface FailoverFigures extends FaultTimes {
  /** Seconds into the load the primary was killed. */
  readonly atS: number;
  /** Failures answered from the kill to 5 s after the promotion, by kind. */
  readonly refused: Record<string, number>;
  /** Failures outside that window (goal 0). */
  readonly outside: Record<string, number>;
  /** The last failure in the window, ms after the promotion (≤ 0: none after it). */
  readonly lastRefusedAfterPromotionMs: number | undefined;
}

/** How long after the promotion failures still count as the failover's (issue 20's recovery goal). */
export const RECOVERY_GOAL_MS = 5_000;

/** Kills the primary of `key`'s slot now and waits (at most 60 s) for a replica to serve the slot. */
export async function killPrimary(cluster: RedisCluster, key: string): Promise<FaultTimes> {
  const primary = await cluster.primaryOf(key);
  const killed = `127.0.0.1:${primary.port}`;
  await primary.kill();
  const killedAt = Date.now();
  for (const until = killedAt + 60_000; Date.now() < until; await sleep(50)) {
    const now = await cluster.primaryOf(key).catch(() => undefined);
    if (now && now.port !== primary.port)
      return { killedAt, promotedAt: Date.now(), killed, promoted: `127.0.0.1:${now.port}` };
  }
  return { killedAt, promotedAt: undefined, killed, promoted: undefined };
}

/** Sorts the load's failures into the failover's window and outside it. */
export function failoverFigures(
  times: FaultTimes,
  atS: number,
  failures: readonly FailedRequest[],
): FailoverFigures {
  const end = (times.promotedAt ?? Number.POSITIVE_INFINITY) + RECOVERY_GOAL_MS;
  const refused: Record<string, number> = {};
  const outside: Record<string, number> = {};
  let last: number | undefined;
  for (const failure of failures) {
    const inWindow = failure.at >= times.killedAt && failure.at <= end;
    const into = inWindow ? refused : outside;
    into[failure.kind] = (into[failure.kind] ?? 0) + 1;
    if (inWindow) last = Math.max(last ?? failure.at, failure.at);
  }
  return {
    ...times,
    atS,
    refused,
    outside,
    lastRefusedAfterPromotionMs:
      last === undefined || times.promotedAt === undefined ? undefined : last - times.promotedAt,
  };
}
