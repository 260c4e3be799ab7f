// One measurement of one proxied-GET target: the load generator's figures, with the server's CPU per request,
// the local Redis's, other processes' load (all from /proc), and the upstream's hits.
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'undici';
import { cpuMs, machineBusyMs } from '../lib/cpu.js';
import type { MachineLoad } from '../lib/machine-load.js';
import { ask } from '../lib/processes.js';
import type { UpstreamStats } from '../servers/upstream.js';
import type { LoadGenerator, LoadResult, LoadSettings } from './load-generator.js';

/** CPU from /proc over a measurement. */
export interface CpuShare {
  /** The server process (with its cluster workers), µs per answered request. */
  readonly usPerRequest: number;
  /** The server's cores busy. */
  readonly cores: number;
  /** The local Redis server, µs per request. */
  readonly redisUsPerRequest: number;
  /** Cores used by processes outside the bench. */
  readonly otherCores: number;
}

/** A measurement of one target. */
export interface ProxyResult extends LoadResult {
  /** Requests the upstream served during the measurement. */
  readonly upstreamHits: number;
  /** Off Linux, undefined. */
  readonly cpu?: CpuShare;
  /** Requests/s of each round, when there were several (the reported result is the median one). */
  rounds?: number[];
}

/** One GET like the load generator's, checked: 200 and the upstream's JSON. */
export async function preflight(url: string, headers: Record<string, string>): Promise<void> {
  const dispatcher = new Agent();
  try {
    const answer = await request(url, { headers, dispatcher });
    const text = await answer.body.text();
    if (answer.statusCode !== 200)
      throw new Error(`GET ${url} answered ${answer.statusCode}: ${text.slice(0, 300)}`);
    if ((JSON.parse(text) as { id?: unknown }).id !== 'item-1')
      throw new Error(`GET ${url} answered an unexpected body: ${text.slice(0, 300)}`);
  } finally {
    await dispatcher.close();
  }
}

/** One measurement by `generator` of `url`, whose server is `serverPid`, in front of `upstream`. */
export async function measure(options: {
  readonly generator: LoadGenerator;
  readonly settings: LoadSettings;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly serverPid: number | undefined;
  readonly upstream: ChildProcess;
  readonly load: MachineLoad;
}): Promise<ProxyResult> {
  const { generator, settings, url, headers, serverPid, upstream, load } = options;
  const before = await ask<UpstreamStats>(upstream, 'stats');
  const sample = () => [
    cpuMs(serverPid),
    load.ownCpuMs(),
    machineBusyMs(),
    load.redisPid ? cpuMs(load.redisPid) : 0,
  ];
  const cpuBefore = sample();
  const result = await generator.run(url, headers, settings);
  const cpuAfter = sample();
  const after = await ask<UpstreamStats>(upstream, 'stats');
  const upstreamHits = after.count - before.count;
  const delta = cpuAfter.map((value, i) => (value ?? Number.NaN) - (cpuBefore[i] ?? Number.NaN));
  const [server = Number.NaN, bench = Number.NaN, machine = Number.NaN, redis = Number.NaN] = delta;
  if (delta.some(Number.isNaN) || result.requests <= 0) return { ...result, upstreamHits };
  return {
    ...result,
    upstreamHits,
    cpu: {
      usPerRequest: (server * 1000) / result.requests,
      cores: server / 1000 / settings.durationS,
      redisUsPerRequest: (redis * 1000) / result.requests,
      otherCores: Math.max(0, (machine - bench) / 1000 / settings.durationS),
    },
  };
}

/** One line about a measurement. */
export function describe(result: ProxyResult): string {
  const { cpu } = result;
  return (
    `${Math.round(result.rps)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ` +
    `${result.non2xx} non-2xx, ${result.socketErrors} socket errors` +
    (cpu === undefined
      ? ''
      : `; server CPU ${cpu.usPerRequest.toFixed(0)} µs/request (${cpu.cores.toFixed(2)} cores)` +
        (cpu.redisUsPerRequest >= 1 ? `, Redis ${cpu.redisUsPerRequest.toFixed(0)} µs/request` : '') +
        `; other processes ${cpu.otherCores.toFixed(2)} cores`)
  );
}
