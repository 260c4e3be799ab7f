// Summarizes V8 .cpuprofile files (node --cpu-prof): self time per function and per origin (the BFF's own
// code, fastify, undici, ioredis, node internals, …), so a profile can be read from a terminal.
import { readFileSync } from 'node:fs';

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a function comes from, from its script URL. */
export function originOf(url) {
  if (!url) return 'native';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  if (workspace) return `@gatehouse/${workspace[1]}`;
  return url.replace(/^file:\/\//, '');
}

/**
 * Self time by function and by origin, summed over `files`.
 * @param {string[]} files .cpuprofile paths
 */
export function summarize(files) {
  /** @type {Map<string, { name: string, where: string, origin: string, ms: number }>} */
  const functions = new Map();
  /** @type {Map<string, number>} */
  const origins = new Map();
  let totalMs = 0;
  let idleMs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const selfUs = new Map();
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i];
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    }
    for (const [id, us] of selfUs) {
      const frame = nodes.get(id).callFrame;
      const ms = us / 1000;
      totalMs += ms;
      const name = frame.functionName || '(anonymous)';
      if (name === '(idle)') {
        idleMs += ms;
        continue;
      }
      const origin = SPECIAL.has(name) ? name : originOf(frame.url);
      const file = (frame.url ?? '')
        .replace(/^.*\/node_modules\//, '')
        .replace(/^file:\/\/.*\/packages\//, '');
      const where = frame.url ? `${file}:${frame.lineNumber + 1}` : '';
      const key = `${name}@${where}`;
      const entry = functions.get(key) ?? { name, where, origin, ms: 0 };
      entry.ms += ms;
      functions.set(key, entry);
      origins.set(origin, (origins.get(origin) ?? 0) + ms);
    }
  }
  const busyMs = totalMs - idleMs;
  return {
    totalMs,
    idleMs,
    busyMs,
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms),
    origins: [...origins.entries()].map(([origin, ms]) => ({ origin, ms })).sort((a, b) => b.ms - a.ms),
  };
}

/** A text report of {@link summarize}'s answer. */
export function formatSummary(summary, top = 15) {
  const pct = (ms) => `${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)}%`;
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
