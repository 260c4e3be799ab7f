// Summarizes V8 .cpuprofile files (node --cpu-prof): self time per function and per origin (the BFF's own
// code, fastify, undici, ioredis, node internals, …), so a profile can be read from a terminal.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** The parts of a V8 CPU profile read here. */
interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url?: string; readonly lineNumber: number };
  }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time of one function. */
export interface FunctionTime {
  readonly name: string;
  /** `file:line` */
  readonly where: string;
  readonly origin: string;
  ms: number;
}

/** Self time by function and by origin. */
export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly busyMs: number;
  readonly functions: readonly FunctionTime[];
  readonly origins: ReadonlyArray<{ readonly origin: string; readonly ms: number }>;
}

/** Where a function comes from, from its script URL. */
export function originOf(url: string | undefined): string {
  if (!url) return 'native';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  if (workspace) return `@gatehouse/${workspace[1]}`;
  return url.replace(/^file:\/\//, '');
}

/** Self time by function and by origin, summed over `files` (.cpuprofile paths). */
export function summarize(files: readonly string[]): ProfileSummary {
  const functions = new Map<string, FunctionTime>();
  const origins = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    for (const [id, us] of selfUs) {
      const frame = nodes.get(id)?.callFrame;
      if (!frame) continue;
      const ms = us / 1000;
      totalMs += ms;
      const name = frame.functionName || '(anonymous)';
      if (name === '(idle)') {
        idleMs += ms;
        continue;
      }
      const origin = SPECIAL.has(name) ? name : originOf(frame.url);
      const path = (frame.url ?? '')
        .replace(/^.*\/node_modules\//, '')
        .replace(/^file:\/\/.*\/packages\//, '');
      const where = frame.url ? `${path}:${frame.lineNumber + 1}` : '';
      const key = `${name}@${where}`;
      const entry = functions.get(key) ?? { name, where, origin, ms: 0 };
      entry.ms += ms;
      functions.set(key, entry);
      origins.set(origin, (origins.get(origin) ?? 0) + ms);
    }
  }
  return {
    totalMs,
    idleMs,
    busyMs: totalMs - idleMs,
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms),
    origins: [...origins.entries()].map(([origin, ms]) => ({ origin, ms })).sort((a, b) => b.ms - a.ms),
  };
}

/** A text report of {@link summarize}'s answer. */
export function formatSummary(summary: ProfileSummary, top = 15): string {
  const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)}%`;
  const lines = [
    `busy ${(summary.busyMs / 1000).toFixed(1)} s of ${(summary.totalMs / 1000).toFixed(1)} s sampled (idle ${(summary.idleMs / 1000).toFixed(1)} s); shares are of busy time`,
    '',
    'self time by origin:',
    ...summary.origins.slice(0, 12).map(({ origin, ms }) => `  ${pct(ms)}  ${origin}`),
    '',
    `top ${top} functions by self time:`,
    ...summary.functions
      .slice(0, top)
      .map(({ name, where, ms }) => `  ${pct(ms)}  ${name}${where ? `  (${where})` : ''}`),
  ];
  return lines.join('\n');
}

/** The .cpuprofile files in `dir`. */
export function profilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name));
}
