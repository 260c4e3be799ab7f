// The proxied GET's table, goal lines and diagnostics, for the terminal and bench/results.md.
import { verdict } from '../lib/format.js';
import type { Row } from './suite.js';

/**
 * Calibration of issue 2 (wrk -t2 -c32, loopback, small JSON upstream, on this kind of machine), measured
 * elsewhere. The goals are judged against mod_auth_openidc measured in the same run when it is; these figures
 * stay as a note, and as the fallback when Apache is not installed.
 */
export const CALIBRATION = Object.freeze({
  modAuthOpenidc: 6900,
  bareReplyFrom: 6600,
  rawNodeUndici: 8800,
  rawNodeUndiciTwoWorkers: 11700,
});
/** Issue 2: the BFF in one process must do at least this many times the bare reply-from proxy's requests/s. */
export const ONE_PROCESS_GOAL = 1.3;
/** Issue 15: the proxied GET with a token per audience, against the one-token BFF (memory store). */
export const AUDIENCES_GOAL = 0.85;
/** Issue 15: with DPoP on, at least this share of the one-token BFF's throughput. */
export const DPOP_GOAL = 0.85;
/** Issue 7: with workers, this many times Apache mod_auth_openidc's requests/s. */
export const WORKERS_GOAL_VS_APACHE = 2;
/**
 * The same goal as a ratio to bare reply-from at the calibration (≈ 2.09×): how it is judged when
 * mod_auth_openidc was not measured in the run.
 */
export const WORKERS_GOAL = (WORKERS_GOAL_VS_APACHE * CALIBRATION.modAuthOpenidc) / CALIBRATION.bareReplyFrom;

/** Formats of the table: requests/s, milliseconds, ratios. */
export const fmt = {
  rps: (value: number): string => Math.round(value).toLocaleString('en-US'),
  ms: (value: number): string =>
    value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2),
  ratio: (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(2)}×`),
};

/** Table cells of each row; the ratios are to the bare reply-from proxy's and to mod_auth_openidc's requests/s. */
function cells(rows: readonly Row[]): string[][] {
  const baseline = rows.find((row) => row.id === 'reply-from')?.result?.rps;
  const apache = rows.find((row) => row.id === 'mod-auth-openidc')?.result?.rps;
  return rows.map((row) => {
    if (!row.result) return [row.label, `skipped: ${row.skipped}`, '', '', '', '', ''];
    const { rps, p50, p99, non2xx, socketErrors } = row.result;
    return [
      row.label,
      fmt.rps(rps),
      fmt.ms(p50),
      fmt.ms(p99),
      String(non2xx + socketErrors),
      fmt.ratio(baseline ? rps / baseline : undefined),
      fmt.ratio(apache ? rps / apache : undefined),
    ];
  });
}

const HEAD = ['scenario', 'requests/s', 'p50 ms', 'p99 ms', 'errors', '× reply-from', '× mod_auth_openidc'];

/** A plain-text table for the terminal. */
export function textTable(rows: readonly Row[]): string {
  const body = cells(rows);
  // A skipped row's reason runs across the columns: it does not widen them.
  const measured = body.filter((row) => !row[1]?.startsWith('skipped'));
  const widths = HEAD.map((head, i) =>
    Math.max(
      head.length,
      ...body.map((row) => (i === 0 || measured.includes(row) ? (row[i] ?? '').length : 0)),
    ),
  );
  const line = (row: string[]) =>
    row
      .map((cell, i) =>
        i === 0 || cell.startsWith('skipped') ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(HEAD), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

/** The same table in Markdown. */
export function markdownTable(rows: readonly Row[]): string {
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
export function diagnosticsMarkdown(rows: readonly Row[]): string {
  const measured = rows.flatMap(({ label, result }) =>
    result?.cpu !== undefined ? [{ label, result, cpu: result.cpu }] : [],
  );
  if (measured.length === 0) return '';
  const rounds = measured.some(({ result }) => result.rounds);
  const lines = [
    `| scenario | server CPU µs/request | server cores busy | Redis CPU µs/request | other processes, cores | upstream hits |${rounds ? ' requests/s of each round |' : ''}`,
    `| --- | ---: | ---: | ---: | ---: | ---: |${rounds ? ' ---: |' : ''}`,
  ];
  for (const { label, result, cpu } of measured) {
    lines.push(
      `| ${label} | ${cpu.usPerRequest.toFixed(0)} | ${cpu.cores.toFixed(2)} | ${
        cpu.redisUsPerRequest >= 1 ? cpu.redisUsPerRequest.toFixed(0) : '–'
      } | ${cpu.otherCores.toFixed(2)} | ${result.upstreamHits.toLocaleString('en-US')} |${
        rounds ? ` ${(result.rounds ?? []).map(fmt.rps).join(', ')} |` : ''
      }`,
    );
  }
  return lines.join('\n');
}

/**
 * What the signature alone allows: a saturated core that spends `c` µs on a one-token request and must add one
 * signature of `s` µs to each can at best serve c / (c + s) of the one-token throughput, with no other cost of
 * DPoP at all (a bigger request, the proof's claims). Undefined without both figures.
 */
function signatureBound(rows: readonly Row[], signatureUs: number | undefined): string | undefined {
  const cpu = rows.find((row) => row.id === 'bff-memory')?.result?.cpu?.usPerRequest;
  const dpopCpu = rows.find((row) => row.id === 'bff-dpop')?.result?.cpu?.usPerRequest;
  if (signatureUs === undefined || cpu === undefined || dpopCpu === undefined) return undefined;
  return (
    `DPoP's cost: ${(dpopCpu - cpu).toFixed(0)} µs of server CPU per request (${dpopCpu.toFixed(0)} against ` +
    `${cpu.toFixed(0)}); one ES256 signature alone takes ${signatureUs.toFixed(1)} µs here (node:crypto, timed ` +
    `in this run on an idle machine), so a fresh proof per request bounds DPoP on a saturated core at ` +
    `${fmt.ratio(cpu / (cpu + signatureUs))} the one-token throughput, before any other cost`
  );
}

/**
 * The goal lines of issue 2 (and issue 7's for workers), judged on this run's figures: against the bare
 * reply-from proxy and against Apache mod_auth_openidc, both measured in the same run (issue 7's goal falls back
 * to the calibration's ratio to reply-from when mod_auth_openidc was not measured).
 */
export function goalLines(rows: readonly Row[], signatureUs?: number): string[] {
  const rps = (id: string) => rows.find((row) => row.id === id)?.result?.rps;
  const baseline = rps('reply-from');
  const apache = rps('mod-auth-openidc');
  const vsApache = (value: number) => (apache ? `, ${fmt.ratio(value / apache)} mod_auth_openidc` : '');
  const lines: string[] = [];
  if (apache) {
    lines.push(
      `Apache mod_auth_openidc (measured in this run): ${fmt.rps(apache)} req/s` +
        (baseline ? ` = ${fmt.ratio(apache / baseline)} bare reply-from` : '') +
        ` (calibration: ~${fmt.rps(CALIBRATION.modAuthOpenidc)} vs ~${fmt.rps(CALIBRATION.bareReplyFrom)} = ` +
        `${fmt.ratio(CALIBRATION.modAuthOpenidc / CALIBRATION.bareReplyFrom)})`,
    );
  }
  if (!baseline) {
    lines.push('Issue 2 goals: not judged (the bare reply-from proxy was not measured).');
  } else {
    const one = (
      [
        ['memory store', rps('bff-memory')],
        ['Redis store', rps('bff-redis')],
      ] as const
    )
      .flatMap(([name, value]) => (value === undefined ? [] : [[name, value] as const]))
      .map(
        ([name, value]) =>
          `${name} ${fmt.ratio(value / baseline)}${vsApache(value)} (${verdict(value / baseline >= ONE_PROCESS_GOAL)})`,
      );
    lines.push(
      `BFF (one process) ≥ ${ONE_PROCESS_GOAL}× bare reply-from: ${one.length > 0 ? one.join('; ') : 'not measured'}`,
    );
  }
  const floor = rps('raw-proxy');
  const memory = rps('bff-memory');
  if (floor && memory) {
    lines.push(
      `The floor (node:http + undici pool, fixed bearer, no checks): ${fmt.rps(floor)} req/s` +
        (baseline ? ` = ${fmt.ratio(floor / baseline)} bare reply-from` : '') +
        `; the BFF with the memory store does its session, CSRF, header and trace work at ` +
        `${fmt.ratio(memory / floor)} the floor's throughput`,
    );
  }
  const audiences = rps('bff-audiences');
  if (memory && audiences) {
    lines.push(
      `Six audiences (the upstream's own token, RFC 8707): ${fmt.rps(audiences)} req/s = ` +
        `${fmt.ratio(audiences / memory)} the one-token BFF with the memory store ` +
        `(issue 15 goal ≥ ${AUDIENCES_GOAL}×: ${verdict(audiences / memory >= AUDIENCES_GOAL)})`,
    );
  }
  const dpop = rps('bff-dpop');
  if (memory && dpop) {
    lines.push(
      `DPoP (RFC 9449, an ES256 proof signed per request): ${fmt.rps(dpop)} req/s = ` +
        `${fmt.ratio(dpop / memory)} the one-token BFF with the memory store ` +
        `(issue 15 goal ≥ ${DPOP_GOAL}×: ${verdict(dpop / memory >= DPOP_GOAL)})`,
    );
    const both = rps('bff-audiences-dpop');
    if (both)
      lines.push(
        `Six audiences with DPoP: ${fmt.rps(both)} req/s = ${fmt.ratio(both / dpop)} DPoP with one audience, ` +
          `${fmt.ratio(both / memory)} the one-token BFF`,
      );
    const bound = signatureBound(rows, signatureUs);
    if (bound) lines.push(bound);
  }
  const workers = rps('bff-workers');
  const single = rps('bff-redis');
  if (workers === undefined) {
    lines.push('BFF with workers: not measured');
  } else {
    const scale = single ? `, ${fmt.ratio(workers / single)} the one-process Redis BFF` : '';
    const ratios = [
      baseline ? `${fmt.ratio(workers / baseline)} bare reply-from` : '',
      vsApache(workers).slice(2),
    ]
      .filter(Boolean)
      .join(', ');
    let goal: string;
    if (apache) {
      goal =
        `issue 7 goal, ≥ ${WORKERS_GOAL_VS_APACHE}× mod_auth_openidc (measured in this run): ` +
        verdict(workers / apache >= WORKERS_GOAL_VS_APACHE);
    } else if (baseline) {
      goal =
        `issue 7 goal, twice mod_auth_openidc (not measured in this run: judged at the calibration, 2 × ~` +
        `${fmt.rps(CALIBRATION.modAuthOpenidc)} ≈ ${fmt.ratio(WORKERS_GOAL)} bare reply-from): ` +
        verdict(workers / baseline >= WORKERS_GOAL);
    } else {
      goal = 'issue 7 goal: not judged (neither mod_auth_openidc nor bare reply-from was measured)';
    }
    lines.push(
      `BFF with workers: ${fmt.rps(workers)} req/s${ratios ? ` = ${ratios}` : ''}${scale}; ${goal}` +
        (single ? `; scales past one process (≥ 1.1× it): ${verdict(workers >= 1.1 * single)}` : ''),
    );
  }
  return lines;
}
