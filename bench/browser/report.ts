// The Chromium figures' section of the report (terminal and bench/results.md), each figure with its goal and
// verdict, and the ratio to the baseline measured in the same run.
import { int, ms, ratio, verdict } from '../lib/format.js';
import { disturbedNote, notMeasuredSection, type Section } from '../lib/sections.js';
import { type NotMeasured, notMeasured, reasonOf } from '../lib/suite.js';
import type { ShopFigures } from './shop.js';
import type { BrowserResult, BrowserSettings, Variant } from './suite.js';

/** Issue 7's goals for the browser runtime. */
export const BROWSER_GOALS = Object.freeze({
  requestsBeforeAuth: 0,
  crossTabP95Ms: 100,
  backchannelMs: 1000,
  sharedSignalsP99Ms: 1000,
});

/**
 * The Chromium figures' section: one table literal, kept whole so each row reads beside its neighbours.
 */
export function browserSection(result: BrowserResult | NotMeasured | undefined): Section | undefined {
  if (!result) return undefined;
  const title = 'In Chromium';
  if (notMeasured(result)) return notMeasuredSection(title, result);
  const { pageLoads: p, crossTab, backchannel, sharedSignals, settings } = result;
  const loads = (variant: Variant) => p[variant];
  const before = loads('inline').requestsBeforeAuthMax;
  const base = loads('noinline');
  const mounted = (variant: Variant) =>
    `p50 ${ms(loads(variant).mounted.p50)} ms (p95 ${ms(loads(variant).mounted.p95)})`;
  return {
    title,
    paragraphs: [
      `Chromium ${result.chromium} (system, headless, \`launchChromium()\`), the real dev IdP and two BFF instances ` +
        "on one Redis. The page is a minimal fixture served by the BFF's `renderPage`: the identity inlined with " +
        '`identityScript()`, the real @gatehouse/shell runtime (bench/browser/page/app.ts, bundled, ' +
        `${int(result.appBytes)} B minified) from the BFF's assets, and one remote (bench/browser/page/remote.ts) from ` +
        'a remotes origin, pinned by integrity, on a route that needs a session. The baseline is the same page ' +
        'without the inlined identity (the runtime then asks `GET /auth/session`), loaded in the same run, ' +
        `interleaved, ${settings.loads} times each: a first visit (a fresh profile) and a repeat visit (same ` +
        'profile). Times are from navigation start. The reference shop (`startShop` of examples/shop: React shell, ' +
        'eleven remotes, PGlite in memory) is loaded the same way, signed in, on its home route; there the auth state ' +
        'is known when the runtime reads the inlined identity and a remote is mounted when a ' +
        '`[data-gatehouse-remote]` element has content (both observed by an init script).',
    ],
    tables: [
      {
        head: ['figure', 'measured', 'goal', 'verdict', 'baseline (same run)', '× baseline'],
        rows: [
          [
            `requests the runtime made before the auth state was known (most over ${settings.loads} first visits)`,
            `${before}${loads('inline').requestsBeforeAuthNames.length ? ` (${loads('inline').requestsBeforeAuthNames.join(', ')})` : ''}`,
            String(BROWSER_GOALS.requestsBeforeAuth),
            verdict(before <= BROWSER_GOALS.requestsBeforeAuth),
            `not inlined: ${base.requestsBeforeAuthMax} (${base.requestsBeforeAuthNames.join(', ') || 'none'})`,
            '–',
          ],
          [
            'auth state known, first visit',
            `p50 ${ms(loads('inline').authKnown.p50)} ms`,
            '–',
            '–',
            `p50 ${ms(base.authKnown.p50)} ms`,
            ratio(loads('inline').authKnown.p50, base.authKnown.p50),
          ],
          [
            'time to first remote mounted, first visit',
            mounted('inline'),
            '–',
            '–',
            mounted('noinline'),
            ratio(loads('inline').mounted.p50, base.mounted.p50),
          ],
          [
            'time to first remote mounted, repeat visit',
            mounted('inline-repeat'),
            '–',
            '–',
            mounted('noinline-repeat'),
            ratio(loads('inline-repeat').mounted.p50, loads('noinline-repeat').mounted.p50),
          ],
          ...shopRows(result.shop, settings),
          [
            `cross-tab logout propagation, tab A logged out → tab B logged out (${crossTab.runs} runs)`,
            `p95 ${ms(crossTab.fromTabA.p95)} ms (p50 ${ms(crossTab.fromTabA.p50)}, max ${ms(crossTab.fromTabA.max)})`,
            `p95 ≤ ${BROWSER_GOALS.crossTabP95Ms} ms`,
            verdict(crossTab.fromTabA.p95 <= BROWSER_GOALS.crossTabP95Ms),
            '–',
            '–',
          ],
          [
            "the same from tab A's `logout()` call (POST /auth/logout included)",
            `p95 ${ms(crossTab.fromCall.p95)} ms (p50 ${ms(crossTab.fromCall.p50)}, max ${ms(crossTab.fromCall.max)})`,
            `p95 ≤ ${BROWSER_GOALS.crossTabP95Ms} ms`,
            verdict(crossTab.fromCall.p95 <= BROWSER_GOALS.crossTabP95Ms),
            '–',
            '–',
          ],
          [
            `back-channel logout → open tab hears \`logged-out\` (${backchannel.runs} runs)`,
            `max ${ms(backchannel.latency.max)} ms (p50 ${ms(backchannel.latency.p50)}, p95 ${ms(backchannel.latency.p95)})`,
            `every run ≤ ${BROWSER_GOALS.backchannelMs} ms`,
            verdict(backchannel.latency.max <= BROWSER_GOALS.backchannelMs),
            '–',
            '–',
          ],
          [
            `CAEP \`session-revoked\` SET to instance B → open tab on A hears \`logged-out\` (${sharedSignals.runs} runs)`,
            `p99 ${ms(sharedSignals.latency.p99)} ms (p50 ${ms(sharedSignals.latency.p50)}, max ${ms(sharedSignals.latency.max)})`,
            `p99 ≤ ${BROWSER_GOALS.sharedSignalsP99Ms} ms`,
            verdict(
              sharedSignals.latency.p99 <= BROWSER_GOALS.sharedSignalsP99Ms && sharedSignals.refused === 0,
            ),
            '–',
            '–',
          ],
        ],
      },
    ],
    lines: [
      'Cross-tab: two tabs of one profile signed in by a real login each run; tab A calls `shell.logout()`; tab ' +
        "B's runtime hears it by BroadcastChannel (or the push channel, whichever comes first; reasons seen: " +
        `${crossTab.reasons.join(', ')}). Both times are the tabs' own clocks (\`performance.timeOrigin + now()\`).`,
      "Back-channel: the IdP's end-session (RP-initiated logout, confirmed on its page) POSTs the logout token to " +
        "instance B; B deletes the session and publishes on Redis; instance A's push stream tells the tab. From " +
        `the confirmation POST to the tab's state change (reasons seen: ${backchannel.reasons.join(', ')}; ` +
        `${backchannel.deliveries} logout tokens delivered, ${backchannel.failedDeliveries} failed).`,
      "Shared Signals: the dev IdP's transmitter signs a CAEP `session-revoked` SET about the user and pushes it " +
        "to instance B's `POST /auth/ssf/events`; B verifies it, ends the user's sessions and publishes on Redis; " +
        `instance A's push stream tells the tab. From the push leaving the IdP to the tab's state change (reasons ` +
        `seen: ${sharedSignals.reasons.join(', ')}; ${sharedSignals.refused} pushes not accepted).`,
    ],
  };
}

/** Rows of the reference shop's page loads (`startShop`), when it ran. */
function shopRows(shop: ShopFigures, settings: BrowserSettings): string[][] {
  if (notMeasured(shop))
    return [['the reference shop (startShop)', `not measured: ${reasonOf(shop)}`, '–', '–', '–', '–']];
  const mounted = (visit: 'first' | 'repeat') =>
    `p50 ${ms(shop[visit].mounted.p50)} ms (p95 ${ms(shop[visit].mounted.p95)})`;
  return [
    [
      `the reference shop (startShop, home route, signed in): requests made by script before the auth state was known (most over ${settings.loads} first visits)`,
      `${shop.first.requestsBeforeAuthMax}${shop.first.requestsBeforeAuthNames.length ? ` (${shop.first.requestsBeforeAuthNames.join(', ')})` : ''}; besides, the page's own code: ${shop.first.codeBeforeAuthMax} files`,
      String(BROWSER_GOALS.requestsBeforeAuth),
      verdict(shop.first.requestsBeforeAuthMax <= BROWSER_GOALS.requestsBeforeAuth),
      '–',
      '–',
    ],
    ['the reference shop: time to first remote mounted, first visit', mounted('first'), '–', '–', '–', '–'],
    ['the reference shop: time to first remote mounted, repeat visit', mounted('repeat'), '–', '–', '–', '–'],
  ];
}

/** Notes on Chromium timings that other processes disturbed. */
export function browserNotes(result: BrowserResult | NotMeasured | undefined): string[] {
  if (!result || notMeasured(result)) return [];
  return [
    ...disturbedNote('Chromium page loads', result.pageLoads.otherCores),
    ...(notMeasured(result.shop)
      ? []
      : disturbedNote('Chromium page loads of the reference shop', result.shop.otherCores)),
    ...disturbedNote('Chromium cross-tab logout', result.crossTab.otherCores),
    ...disturbedNote('Chromium back-channel logout', result.backchannel.otherCores),
    ...disturbedNote('Chromium Shared Signals logout', result.sharedSignals.otherCores),
  ];
}
