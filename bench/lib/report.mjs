// The table and goal lines `npm run bench` prints, and bench/results.md.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Calibration of issue 2 (wrk -t2 -c32, loopback, small JSON upstream, on this kind of machine). */
export const CALIBRATION = Object.freeze({
  modAuthOpenidc: 6900,
  bareReplyFrom: 6600,
  rawNodeUndici: 8800,
  rawNodeUndiciTwoWorkers: 11700,
});
/** Issue 2: the BFF in one process must do at least this many times the bare reply-from proxy's requests/s. */
export const ONE_PROCESS_GOAL = 1.3;
/** Issue 7: with workers, twice mod_auth_openidc; as a ratio to bare reply-from (machine-independent form). */
export const WORKERS_GOAL = (2 * CALIBRATION.modAuthOpenidc) / CALIBRATION.bareReplyFrom;

const fmt = {
  rps: (value) => Math.round(value).toLocaleString('en-US'),
  ms: (value) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)),
  ratio: (value) => (value === undefined ? '–' : `${value.toFixed(2)}×`),
};

/**
 * @typedef {object} Row
 * @property {string} id
 * @property {string} label
 * @property {import('./load.mjs').LoadResult} [result]
 * @property {string} [skipped] why it was not measured
 */

/** Table cells of each row; the ratio is to the bare reply-from proxy's requests/s. */
function cells(rows) {
  const baseline = rows.find((row) => row.id === 'reply-from')?.result?.rps;
  return rows.map((row) => {
    if (!row.result) return [row.label, `skipped: ${row.skipped}`, '', '', '', ''];
    const { rps, p50, p99, non2xx, socketErrors } = row.result;
    return [
      row.label,
      fmt.rps(rps),
      fmt.ms(p50),
      fmt.ms(p99),
      String(non2xx + socketErrors),
      fmt.ratio(baseline ? rps / baseline : undefined),
    ];
  });
}

const HEAD = ['scenario', 'requests/s', 'p50 ms', 'p99 ms', 'errors', '× reply-from'];

/** A plain-text table for the terminal. */
export function textTable(rows) {
  const body = cells(rows);
  const widths = HEAD.map((head, i) => Math.max(head.length, ...body.map((row) => row[i].length)));
  const line = (row) =>
    row
      .map((cell, i) =>
        i === 0 || cell.startsWith('skipped') ? cell.padEnd(widths[i]) : cell.padStart(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return [line(HEAD), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

/** The same table in Markdown. */
export function markdownTable(rows) {
  const body = cells(rows);
  return [
    `| ${HEAD.join(' | ')} |`,
    `| --- | ${HEAD.slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/**
 * Per-scenario diagnostics: the server's CPU per request (steadier than requests/s on a 2-core machine that the
 * server shares with the load generator and the upstream), Redis's, and the load of other processes.
 */
export function diagnosticsMarkdown(rows) {
  const measured = rows.filter((row) => row.result?.cpuUsPerRequest !== undefined);
  if (measured.length === 0) return '';
  const rounds = measured.some(({ result }) => result.rounds);
  const lines = [
    `| scenario | server CPU µs/request | server cores busy | Redis CPU µs/request | other processes, cores | upstream hits |${rounds ? ' requests/s of each round |' : ''}`,
    `| --- | ---: | ---: | ---: | ---: | ---: |${rounds ? ' ---: |' : ''}`,
  ];
  for (const { label, result } of measured) {
    lines.push(
      `| ${label} | ${result.cpuUsPerRequest.toFixed(0)} | ${result.cpuCores.toFixed(2)} | ${
        result.redisUsPerRequest >= 1 ? result.redisUsPerRequest.toFixed(0) : '–'
      } | ${result.otherCores.toFixed(2)} | ${result.upstreamHits.toLocaleString('en-US')} |${
        rounds ? ` ${(result.rounds ?? []).map(fmt.rps).join(', ')} |` : ''
      }`,
    );
  }
  return lines.join('\n');
}

/** The goal lines of issue 2 (and issue 7's for workers), judged on this run's figures. */
export function goalLines(rows) {
  const rps = (id) => rows.find((row) => row.id === id)?.result?.rps;
  const baseline = rps('reply-from');
  if (!baseline) return ['Goals: not judged (the bare reply-from proxy was not measured).'];
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  const one = [
    ['memory store', rps('bff-memory')],
    ['Redis store', rps('bff-redis')],
  ]
    .filter(([, value]) => value !== undefined)
    .map(
      ([name, value]) =>
        `${name} ${fmt.ratio(value / baseline)} (${verdict(value / baseline >= ONE_PROCESS_GOAL)})`,
    );
  const lines = [
    `BFF (one process) ≥ ${ONE_PROCESS_GOAL}× bare reply-from: ${one.length > 0 ? one.join('; ') : 'not measured'}`,
  ];
  const workers = rps('bff-workers');
  const single = rps('bff-redis');
  if (workers === undefined) {
    lines.push('BFF with workers: not measured');
  } else {
    const scale = single ? `, ${fmt.ratio(workers / single)} the one-process Redis BFF` : '';
    lines.push(
      `BFF with workers: ${fmt.rps(workers)} req/s = ${fmt.ratio(workers / baseline)} bare reply-from${scale}; ` +
        `issue 7 goal, twice mod_auth_openidc (2 × ~${fmt.rps(CALIBRATION.modAuthOpenidc)} ≈ ` +
        `${fmt.ratio(WORKERS_GOAL)} bare reply-from at calibration): ${verdict(workers / baseline >= WORKERS_GOAL)}` +
        (single ? `; scales past one process (≥ 1.1× it): ${verdict(workers >= 1.1 * single)}` : ''),
    );
  }
  return lines;
}

/** What ran where: CPU, cores, memory, OS, Node, load generator, Redis, commit, date. */
export function machine({ generator, settings, redisVersion, chromium }) {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    // The packages the bench runs: uncommitted changes there mean the figures are not of this commit.
    const changed = execFileSync(
      'git',
      ['status', '--porcelain', '--', 'packages/bff', 'packages/dev-idp', 'packages/policy'],
      { encoding: 'utf8' },
    ).trim();
    if (changed) commit += ' (with uncommitted changes in packages/bff, dev-idp or policy)';
  } catch {}
  const loadSettings =
    generator.name === 'wrk'
      ? `wrk -t${settings.threads} -c${settings.connections} -d${settings.durationS}s --latency --timeout ${settings.timeoutS}s`
      : `autocannon -c ${settings.connections} -w ${settings.threads} -d ${settings.durationS} (wrk not found)`;
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    loadGenerator: `${generator.name} ${generator.version}`,
    loadSettings:
      `${loadSettings}; warm-up ${settings.warmupS}s per target; targets one at a time, each server in its own process` +
      (settings.repeat > 1 ? `; ${settings.repeat} interleaved rounds, the median reported` : ''),
    redis: redisVersion ?? 'not used',
    chromium: chromium ?? 'not used',
    commit,
    date: new Date().toISOString(),
  };
}

/** bench/results.md. */
export function resultsMarkdown({ rows, machine: m, notes, extra = '' }) {
  return `# Gatehouse benchmark results

Written by \`npm run bench\` (bench/run.mjs); see bench/README.md for how it measures and how to read it.

## Authenticated proxied GET (small JSON answer)

${markdownTable(rows)}

${goalLines(rows)
  .map((line) => `- ${line}`)
  .join('\n')}

Calibration (issue 2, wrk -t2 -c32, loopback, same kind of machine): Apache mod_auth_openidc ~${fmt.rps(CALIBRATION.modAuthOpenidc)} req/s with a session; bare Fastify reply-from ~${fmt.rps(CALIBRATION.bareReplyFrom)}; raw node:http + undici pool ~${fmt.rps(CALIBRATION.rawNodeUndici)}; the same with two cluster workers ~${fmt.rps(CALIBRATION.rawNodeUndiciTwoWorkers)}.
${notes.length > 0 ? `\n${notes.map((note) => `- ${note}`).join('\n')}\n` : ''}
## Diagnostics

CPU time from /proc over each (reported) measurement: the server process (with its cluster workers) per answered
request, the local Redis server per request, and what processes outside the bench used (above 0.2 cores the
figures are disturbed, see bench/README.md).

${diagnosticsMarkdown(rows)}
${extra ? `\n${extra}\n` : ''}
## Machine

| | |
| --- | --- |
| CPU | ${m.cpu} |
| cores | ${m.cores} |
| memory | ${m.memory} |
| OS | ${m.os} |
| Node | ${m.node} |
| load generator | ${m.loadGenerator} |
| settings | ${m.loadSettings} |
| Redis | ${m.redis} |
| Chromium | ${m.chromium} |
| commit | ${m.commit} |
| date | ${m.date} |
`;
}
