// The load test's figures with their goals, for the terminal and for load.md.
import { cell, int, ms, verdict } from '../lib/format.js';
import type { Machine } from '../lib/machine.js';
import { type FailoverFigures, RECOVERY_GOAL_MS } from './fault.js';
import type { LoadFigures } from './load-test.js';
import { effectiveLeewayS, type LoadTestSettings } from './settings.js';

/** The figures with their goals, for the terminal and for load.md. */
export function loadReport(
  r: LoadFigures,
  settings: LoadTestSettings,
  m: Machine & { readonly redis: string },
): { text: string; markdown: string } {
  const rows = figureRows(r, settings, m);
  const text = rows
    .map(([label, value, goal, ok]) => `${label}: ${value}${goal !== '–' ? `; goal ${goal}: ${ok}` : ''}`)
    .join('\n');
  const markdown = `# Gatehouse load test

Written by \`npm run load\` (bench/load.ts); see bench/README.md.

${int(r.signedIn)} sessions, each a real login of its own user (load0001…) through the dev IdP's form, for ${settings.durationS} s over ${settings.instances} BFF instances (separate processes, \`startBff\`, one Redis), with ${settings.tokenTtlS}-second access tokens and \`refreshLeeway: ${settings.refreshLeewayS}\`. Every session sends ${settings.ratePerSession} GET/s of a small JSON answer through the BFF's API proxy (starting at a random phase; the next request waits for the answer), alternating instances as a round-robin load balancer would; ${settings.connections} keep-alive connections per instance. Refreshes are counted at the IdP (\`provider.on('grant.success')\`, \`grant_type=refresh_token\`, in its own process) and in each instance's Prometheus metrics.${
    r.failover
      ? ` ${r.failover.atS} s into the load (\`LOAD_FAULT=kill-primary\`, \`LOAD_FAULT_AT\`), the Redis Cluster primary that holds the sessions' hash slot is killed (SIGKILL); its replica takes over after \`cluster-node-timeout\` (1 s). Failures from the kill to ${RECOVERY_GOAL_MS / 1000} s after the promotion are the failover's; any other counts as an error.`
      : ''
  }

| figure | measured | goal | verdict |
| --- | ---: | ---: | ---: |
${rows.map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n')}

Latency is as the client saw it (no correction for coordinated omission). The BFF refreshes a token \`refreshLeeway\` before it expires, but never before half its life (with the default 60 s and 30-second tokens: 15 s before); the load test sets ${settings.refreshLeewayS} s (\`LOAD_REFRESH_LEEWAY\`), so a session refreshes every ${settings.tokenTtlS - effectiveLeewayS(settings)} s.

## Machine

| | |
| --- | --- |
| CPU | ${m.cpu} |
| cores | ${m.cores} |
| memory | ${m.memory} |
| OS | ${m.os} |
| Node | ${m.node} |
| Redis | ${m.redis} |
| commit | ${m.commit} |
| date | ${m.date} |
`;
  return { text, markdown };
}

/**
 * The table's rows: figure, measured, goal, verdict. One literal, so each row reads beside its neighbours.
 */
function figureRows(r: LoadFigures, settings: LoadTestSettings, m: Machine): string[][] {
  const perSession = r.refreshGrants / r.signedIn;
  const bffTotal = r.bffRefreshes.reduce((sum, value) => sum + value, 0);
  const memoryTotal = Object.values(r.memory).reduce((sum, kind) => sum + kind.bytes, 0);
  return [
    ...(r.failover ? failoverRows(r.failover, r.loginErrors) : []),
    [
      r.failover
        ? 'errors, the failover included (non-200 answers, socket errors, timeouts, failed logins)'
        : 'errors (non-200 answers, socket errors, timeouts, failed logins)',
      `${int(r.errorCount)}${
        r.errorCount
          ? ` (${Object.entries(r.errors)
              .map(([key, value]) => `${key}: ${value}`)
              .join(', ')}${r.loginErrors ? `, failed logins: ${r.loginErrors}` : ''})`
          : ''
      }`,
      r.failover ? '–' : '0',
      r.failover ? '–' : verdict(r.errorCount === 0),
    ],
    [
      'refreshes per session, at the IdP (refresh grants ÷ sessions)',
      `${perSession.toFixed(2)} (${int(r.refreshGrants)} grants for ${int(r.signedIn)} sessions)`,
      `no more than needed: ≤ ${(r.ideal / r.signedIn).toFixed(2)} (${int(r.ideal)}: one per ${settings.tokenTtlS - effectiveLeewayS(settings)} s of each session's life)`,
      verdict(r.refreshGrants <= r.ideal),
    ],
    [
      'refreshes per session, from the BFF metrics (`gatehouse_refreshes_total{outcome="success"}`, per instance)',
      `${(bffTotal / r.signedIn).toFixed(2)} (${r.bffRefreshes.map(int).join(' + ')})`,
      'the same as the IdP counted',
      verdict(bffTotal === r.refreshGrants),
    ],
    [
      'refreshes refused or failed (IdP grant errors; BFF refresh failures)',
      `${r.refusedGrants.length ? r.refusedGrants.map(([key, value]) => `${key}: ${value}`).join(', ') : '0'}; ${int(r.bffRefreshFailures)}`,
      '0',
      verdict(r.refusedGrants.length === 0 && r.bffRefreshFailures === 0),
    ],
    [
      'sessions ended during the run (`gatehouse_session_ends_total`)',
      int(r.sessionEnds.reduce((sum, value) => sum + value, 0)),
      '0',
      verdict(r.sessionEnds.every((value) => value === 0)),
    ],
    [
      'latency of the proxied GETs',
      `p50 ${ms(r.latency.p50)} ms, p90 ${ms(r.latency.p90)} ms, p99 ${ms(r.latency.p99)} ms, max ${ms(r.latency.max)} ms`,
      '–',
      '–',
    ],
    [
      'requests',
      `${int(r.answered)} in ${r.elapsedS.toFixed(1)} s (${int(r.rps)}/s), per instance ${r.proxied.map(int).join(' + ')}`,
      '–',
      '–',
    ],
    [
      "Redis memory left at the end, per session (`MEMORY USAGE` of every key under the run's prefix)",
      `${int(memoryTotal / r.signedIn)} B: ${Object.entries(r.memory)
        .sort((a, b) => b[1].bytes - a[1].bytes)
        .map(([kind, { keys, bytes }]) => `${kind} ${int(bytes / r.signedIn)} B (${int(keys)} keys)`)
        .join(', ')}`,
      '≤ 1,024 B (issue 7, bytes per session)',
      verdict(memoryTotal / r.signedIn <= 1024),
    ],
    [
      'CPU (from /proc)',
      `BFF instances ${r.bffCores.map((value) => value.toFixed(2)).join(' + ')} cores, IdP ${r.idpCores.toFixed(2)}, whole machine ${r.machineCores.toFixed(2)} of ${m.cores}`,
      '–',
      '–',
    ],
    [
      'logins before the load',
      `${int(r.signedIn)} in ${r.loginWallS.toFixed(1)} s (p50 ${ms(r.logins.p50)} ms, p99 ${ms(r.logins.p99)} ms each, ${settings.loginConcurrency} at a time)`,
      '–',
      '–',
    ],
  ];
}

/** `{ 'HTTP 503': 12 }` → `HTTP 503: 12`; nothing → `0`. */
const kinds = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([key, value]) => `${key}: ${int(value)}`)
    .join(', ') || '0';

/** The rows of a run with a fault (`LOAD_FAULT`): the failover, what it refused, the errors outside it. */
function failoverRows(f: FailoverFigures, loginErrors: number): string[][] {
  const refused = Object.values(f.refused).reduce((sum, value) => sum + value, 0);
  const outside = Object.values(f.outside).reduce((sum, value) => sum + value, 0) + loginErrors;
  const promotedAfter = f.promotedAt === undefined ? undefined : f.promotedAt - f.killedAt;
  const onlyStoreUnavailable = Object.keys(f.refused).every((kind) => kind === 'HTTP 503 store_unavailable');
  return [
    [
      'the failover (`LOAD_FAULT=kill-primary`)',
      `${f.killed} killed ${f.atS} s into the load; ${
        promotedAfter === undefined
          ? 'no replica took over within 60 s'
          : `${f.promoted} serves the slot ${int(promotedAfter)} ms later`
      }`,
      '–',
      '–',
    ],
    [
      `errors outside the failover (before the kill, or ${RECOVERY_GOAL_MS / 1000} s after the promotion on)`,
      `${int(outside)}${outside ? ` (${kinds(f.outside)}${loginErrors ? `, failed logins: ${loginErrors}` : ''})` : ''}`,
      '0',
      verdict(outside === 0),
    ],
    [
      'requests refused during the failover',
      `${int(refused)} (${kinds(f.refused)})`,
      '503 `store_unavailable` only (never a 500, a sign-out or a timeout)',
      verdict(onlyStoreUnavailable),
    ],
    [
      'recovery: the last refused request, after the promotion',
      f.lastRefusedAfterPromotionMs === undefined
        ? 'none refused after it'
        : `${int(f.lastRefusedAfterPromotionMs)} ms`,
      `≤ ${int(RECOVERY_GOAL_MS)} ms`,
      verdict(promotedAfter !== undefined && (f.lastRefusedAfterPromotionMs ?? 0) <= RECOVERY_GOAL_MS),
    ],
  ];
}
