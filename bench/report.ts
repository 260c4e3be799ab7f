// What `npm run bench` reports as a whole: the machine it ran on, and bench/results.md (the proxied GET's table,
// goal lines and diagnostics, then the other suites' sections).

import { browserNotes, browserSection } from './browser/report.js';
import type { BrowserResult } from './browser/suite.js';
import { federationNotes, federationSection } from './federation/report.js';
import type { FederationResult } from './federation/suite.js';
import { hybridNotes, hybridSection } from './hybrid/report.js';
import type { HybridResult } from './hybrid/suite.js';
import { type Machine, machine } from './lib/machine.js';
import { type Section, sectionsMarkdown, sectionsText } from './lib/sections.js';
import type { NotMeasured } from './lib/suite.js';
import { longLivedSection } from './long-lived/report.js';
import type { LongLivedResult } from './long-lived/suite.js';
import type { LoadGenerator } from './proxy/load-generator.js';
import { CALIBRATION, diagnosticsMarkdown, fmt, goalLines, markdownTable } from './proxy/report.js';
import type { ProxySettings, Row } from './proxy/suite.js';
import { storeNotes, storeSection, stormSection } from './store/report.js';
import type { StoreResult } from './store/session-store.js';
import type { StormResult } from './store/storm.js';

/** What the suites after the proxied GET answered (absent: not asked for). */
export interface SuiteResults {
  storm?: StormResult | NotMeasured;
  store?: StoreResult | NotMeasured;
  browser?: BrowserResult | NotMeasured;
  longLived?: LongLivedResult | NotMeasured;
  federation?: FederationResult | NotMeasured;
  hybrid?: HybridResult | NotMeasured;
}

/** The machine, the load generator and the services of a bench run. */
export interface RunMachine extends Machine {
  readonly loadGenerator: string;
  readonly loadSettings: string;
  readonly redis: string;
  readonly apache: string;
  readonly chromium: string;
}

/** What ran where: CPU, cores, memory, OS, Node, load generator, Redis, Apache, Chromium, commit, date. */
export function runMachine(options: {
  readonly generator: LoadGenerator;
  readonly settings: ProxySettings;
  readonly redisVersion?: string | undefined;
  readonly apacheVersion?: string | undefined;
  readonly chromium?: string | undefined;
}): RunMachine {
  const { generator, settings } = options;
  const loadSettings =
    generator.name === 'wrk'
      ? `wrk -t${settings.threads} -c${settings.connections} -d${settings.durationS}s --latency --timeout ${settings.timeoutS}s`
      : `autocannon -c ${settings.connections} -w ${settings.threads} -d ${settings.durationS} (wrk not found)`;
  return {
    // The packages the bench runs: uncommitted changes there mean the figures are not of this commit.
    ...machine(['packages/bff', 'packages/dev-idp', 'packages/policy'], 'packages/bff, dev-idp or policy'),
    loadGenerator: `${generator.name} ${generator.version}`,
    loadSettings:
      `${loadSettings}; warm-up ${settings.warmupS}s per target; targets one at a time, each server in its own process` +
      (settings.repeat > 1 ? `; ${settings.repeat} interleaved rounds, the median reported` : ''),
    redis: options.redisVersion ?? 'not used',
    apache: options.apacheVersion ?? 'not used',
    chromium: options.chromium ?? 'not used',
  };
}

/** bench/results.md: the proxied GET, its diagnostics, the other suites' sections, the machine. */
export function resultsMarkdown(options: {
  readonly rows: readonly Row[];
  readonly machine: RunMachine;
  readonly notes: readonly string[];
  /** µs per ES256 proof signature, when the DPoP scenario ran. */
  readonly signatureUs?: number;
  readonly extra?: string;
}): string {
  const { rows, machine: m, notes, signatureUs, extra = '' } = options;
  return `# Gatehouse benchmark results

Written by \`npm run bench\` (bench/run.ts); see bench/README.md for how it measures and how to read it.

## Authenticated proxied GET (small JSON answer)

${markdownTable(rows)}

${goalLines(rows, signatureUs)
  .map((line) => `- ${line}`)
  .join('\n')}

Calibration (issue 2, measured elsewhere: wrk -t2 -c32, loopback, same kind of machine; the goals use mod_auth_openidc as measured above when it was): Apache mod_auth_openidc ~${fmt.rps(CALIBRATION.modAuthOpenidc)} req/s with a session; bare Fastify reply-from ~${fmt.rps(CALIBRATION.bareReplyFrom)}; raw node:http + undici pool ~${fmt.rps(CALIBRATION.rawNodeUndici)}; the same with two cluster workers ~${fmt.rps(CALIBRATION.rawNodeUndiciTwoWorkers)}.
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
| Apache | ${m.apache} |
| Chromium | ${m.chromium} |
| commit | ${m.commit} |
| date | ${m.date} |
`;
}

/** The suites' sections, in the order they ran. */
function sections(results: SuiteResults): Section[] {
  return [
    stormSection(results.storm),
    storeSection(results.store),
    browserSection(results.browser),
    longLivedSection(results.longLived),
    federationSection(results.federation),
    hybridSection(results.hybrid),
  ].filter((section): section is Section => section !== undefined);
}

/** Notes on suites whose timings other processes disturbed. */
const notes = (results: SuiteResults) => [
  ...storeNotes(results.store),
  ...browserNotes(results.browser),
  ...federationNotes(results.federation),
  ...hybridNotes(results.hybrid),
];

/** The suites' sections in Markdown (results.md). */
export const suitesMarkdown = (results: SuiteResults): string =>
  sectionsMarkdown(sections(results), notes(results));

/** The suites' sections for the terminal. */
export const suitesText = (results: SuiteResults): string => sectionsText(sections(results), notes(results));
