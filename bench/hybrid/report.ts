// The hybrid-app figure's section of the report (terminal and bench/results.md), with issue 18's goal.
import { ms, verdict } from '../lib/format.js';
import { disturbedNote, notMeasuredSection, type Section } from '../lib/sections.js';
import { type NotMeasured, notMeasured } from '../lib/suite.js';
import type { HybridResult } from './suite.js';

/** Issue 18: the bridge adds at most this much to a proxied GET at p50, ms. */
export const HYBRID_GOALS = Object.freeze({ addedP50Ms: 2 });

/** The section: a proxied GET over the native bridge against the same GET by fetch. */
export function hybridSection(result: HybridResult | NotMeasured | undefined): Section | undefined {
  if (!result) return undefined;
  const title = 'Hybrid app: the native bridge (issue 18)';
  if (notMeasured(result)) return notMeasuredSection(title, result);
  const added = result.bridge.p50 - result.fetch.p50;
  return {
    title,
    paragraphs: [
      "The reference WebKitGTK host (examples/shop/hybrid/gjs, under xvfb-run) holding alice's session handle, " +
        "its page's shell calling `GET /api/profile` through the API client over the bridge (the page's " +
        "message to the host, the host's request to the BFF with the handle, the answer back); against the same " +
        "GET by `fetch` from a Chromium page of the shop's origin with alice's session cookie. Same shop, same " +
        `run, ${result.settings.calls} calls each side in two interleaved halves, one at a time, timed in each page.`,
    ],
    tables: [
      {
        head: ['figure', 'bridge', 'fetch (Chromium)', 'added at p50', 'goal', 'verdict'],
        rows: [
          [
            'proxied GET /api/profile, p50 (p99)',
            `${ms(result.bridge.p50)} ms (${ms(result.bridge.p99)})`,
            `${ms(result.fetch.p50)} ms (${ms(result.fetch.p99)})`,
            `${ms(added)} ms`,
            `≤ ${HYBRID_GOALS.addedP50Ms} ms`,
            verdict(added <= HYBRID_GOALS.addedP50Ms),
          ],
        ],
      },
    ],
  };
}

/** A note when other processes disturbed the timings. */
export const hybridNotes = (result: HybridResult | NotMeasured | undefined): string[] =>
  result && !notMeasured(result) ? disturbedNote('the hybrid-app figures', result.otherCores) : [];
