// Load generators, each run as its own process: wrk (preferred, as in the calibration of issue 2) when it is on
// the PATH, autocannon (installed at the root) otherwise. Both answer the same summary.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { benchPath } from '../lib/paths.js';
import { compileChild } from '../lib/processes.js';
import type { AutocannonOptions } from './autocannon-child.js';

/** How hard and how long to load a target. */
export interface LoadSettings {
  readonly connections: number;
  /** wrk threads, autocannon workers. */
  readonly threads: number;
  readonly durationS: number;
  /** A request slower than this counts as an error. */
  readonly timeoutS: number;
}

/** What a load generator measured. */
export interface LoadResult {
  /** Completed in the measurement. */
  readonly requests: number;
  /** Requests per second. */
  readonly rps: number;
  /** ms */
  readonly p50: number;
  /** ms */
  readonly p99: number;
  /** Answers that were not 2xx (wrk: status ≥ 400, see README). */
  readonly non2xx: number;
  /** Connect, read, write errors and timeouts. */
  readonly socketErrors: number;
  /** The generator's own output. */
  readonly raw: string;
}

/** wrk or autocannon. */
export interface LoadGenerator {
  readonly name: 'wrk' | 'autocannon';
  readonly version: string;
  run(url: string, headers: Record<string, string>, settings: LoadSettings): Promise<LoadResult>;
}

/** The load generator to use: `BENCH_LOADGEN=wrk|autocannon` forces one; otherwise wrk when present. */
export function pickLoadGenerator(forced = process.env.BENCH_LOADGEN): LoadGenerator {
  if (forced && forced !== 'wrk' && forced !== 'autocannon') {
    throw new Error(`BENCH_LOADGEN must be wrk or autocannon, not ${forced}`);
  }
  const wrk = forced === 'autocannon' ? undefined : wrkVersion();
  if (wrk) return { name: 'wrk', version: wrk, run: runWrk };
  if (forced === 'wrk')
    throw new Error('BENCH_LOADGEN=wrk but wrk is not on the PATH (apt-get install -y wrk)');
  return { name: 'autocannon', version: autocannonVersion(), run: runAutocannon };
}

function wrkVersion(): string | undefined {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  // `wrk --version` prints "wrk 4.2.0 [epoll] …" (or "wrk debian/4.1.0-3 …") and exits 1.
  const match = /^wrk\s+(\S+)/m.exec(`${probe.stdout}${probe.stderr}`);
  return match?.[1] ?? 'unknown';
}

function autocannonVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('autocannon/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs a command, resolving with its stdout (rejecting with stderr when it fails). */
function capture(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} exited with ${code}: ${err || out}`));
    });
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `4.20ms` → 4.2; `850.00us` → 0.85. */
function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match?.[2]) throw new Error(`wrk: cannot read latency ${text}`);
  return Number(match[1]) * (UNIT_MS[match[2]] ?? Number.NaN);
}

/** Reads `wrk --latency` output. */
export function parseWrk(out: string): LoadResult {
  const percentile = (p: number) => {
    const match = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out);
    if (!match?.[1]) throw new Error(`wrk: no ${p}% latency in:\n${out}`);
    return toMs(match[1]);
  };
  const total = /^\s*(\d+) requests in ([\d.]+)(\w+),/m.exec(out);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  if (!total || !rps) throw new Error(`wrk: unexpected output:\n${out}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1, 5).reduce((sum, value) => sum + Number(value), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    requests: Number(total[1]),
    rps: Number(rps[1]),
    p50: percentile(50),
    p99: percentile(99),
    non2xx,
    socketErrors,
    raw: out,
  };
}

const runWrk: LoadGenerator['run'] = async (url, headers, settings) => {
  const args = [
    '-t',
    String(settings.threads),
    '-c',
    String(settings.connections),
    '-d',
    `${settings.durationS}s`,
    '--timeout',
    `${settings.timeoutS}s`,
    '--latency',
  ];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return parseWrk(await capture('wrk', args));
};

/** The part of autocannon's result the bench reads. */
interface AutocannonResult {
  readonly '2xx'?: number;
  readonly non2xx?: number;
  readonly duration?: number;
  readonly requests?: unknown;
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly errors?: number;
  readonly timeouts?: number;
}

const runAutocannon: LoadGenerator['run'] = async (url, headers, settings) => {
  const script = await compileChild(benchPath('proxy/autocannon-child.ts'));
  const options: AutocannonOptions = {
    url,
    headers,
    connections: settings.connections,
    workers: settings.threads,
    duration: settings.durationS,
    timeout: settings.timeoutS,
  };
  const out = await capture(process.execPath, [script], { BENCH_AUTOCANNON: JSON.stringify(options) });
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as AutocannonResult;
  const requests = (result['2xx'] ?? 0) + (result.non2xx ?? 0);
  return {
    requests,
    rps: requests / (result.duration || settings.durationS),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx ?? 0,
    socketErrors: (result.errors ?? 0) + (result.timeouts ?? 0),
    raw: JSON.stringify(
      { requests: result.requests, latency: result.latency, errors: result.errors, non2xx: result.non2xx },
      null,
      2,
    ),
  };
};
