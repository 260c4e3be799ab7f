// The Module Federation figures' section of the report (terminal and bench/results.md), with the goals of
// issue 17.
import { int, ms, ratio, verdict } from '../lib/format.js';
import { disturbedNote, notMeasuredSection, type Section } from '../lib/sections.js';
import { type NotMeasured, notMeasured } from '../lib/suite.js';
import type { FederationResult } from './suite.js';

/** Issue 17's goals: the guarded first mount at most 1.1× the plain one; the plugin at most 1.5 KB gzip. */
export const FEDERATION_GOALS = Object.freeze({ mountRatio: 1.1, pluginGzip: 1500 });

/** The section: first mount guarded vs plain, and the plugin's bytes. */
export function federationSection(result: FederationResult | NotMeasured | undefined): Section | undefined {
  if (!result) return undefined;
  const title = 'Module Federation (issue 17)';
  if (notMeasured(result)) return notMeasuredSection(title, result);
  const { guarded, plain } = result;
  const added = result.shellWithFederationGzip - result.shellGzip;
  return {
    title,
    paragraphs: [
      `Chromium ${result.chromium}, under the BFF's strict CSP. One Module Federation container (an ES-module ` +
        '`remoteEntry.js` and its chunk, from a second origin) loaded by the MF runtime and its exposed `remote` ' +
        "mounted, with @gatehouse/federation's guard plugin (entry and chunk pinned by import-map integrity, the " +
        "checks on MF's hooks) and without it, interleaved, each a first visit (a fresh context), " +
        `${result.settings.loads} times each. Times are from navigation start to the mount (bench/federation/).`,
    ],
    tables: [
      {
        head: ['figure', 'measured', 'goal', 'verdict', 'plain MF (same run)', '× plain'],
        rows: [
          [
            'time to first mount of the MF remote, guarded (p50)',
            `${ms(guarded.p50)} ms (p95 ${ms(guarded.p95)})`,
            `≤ ${FEDERATION_GOALS.mountRatio}× plain`,
            verdict(guarded.p50 <= plain.p50 * FEDERATION_GOALS.mountRatio),
            `${ms(plain.p50)} ms (p95 ${ms(plain.p95)})`,
            ratio(guarded.p50, plain.p50),
          ],
          [
            'what the guard plugin and loader add to createShell, gzip (MF runtime external)',
            `${int(added)} B`,
            `≤ ${int(FEDERATION_GOALS.pluginGzip)} B; 0 B unimported`,
            verdict(added <= FEDERATION_GOALS.pluginGzip),
            `${int(result.shellGzip)} B createShell alone`,
            '–',
          ],
        ],
      },
    ],
  };
}

/** A note when other processes disturbed the timings. */
export const federationNotes = (result: FederationResult | NotMeasured | undefined): string[] =>
  result && !notMeasured(result) ? disturbedNote('the Module Federation figures', result.otherCores) : [];
