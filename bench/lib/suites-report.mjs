// The tables of the rest of issue 7's suite (refresh storm, Redis session store, Chromium), for the terminal and
// for bench/results.md, each figure with its goal and verdict, and the ratio to the baseline measured in the
// same run where there is one.
import { duration, int, ms, verdict } from './util.mjs';

/** Issue 7's goals. */
export const GOALS = Object.freeze({
  stormGrants: 1,
  bytesPerSession: 1024,
  requestsBeforeAuth: 0,
  crossTabP95Ms: 100,
  backchannelMs: 1000,
});
/** Above this many cores used by other processes, a suite's timings are flagged as disturbed. */
const DISTURBED = 0.2;

const ratio = (value, base) => (Number.isFinite(value / base) ? `${(value / base).toFixed(2)}×` : '–');
const bytes = (value) => `${int(value)} B`;

/** A section: a title, paragraphs, tables ({ head, rows }) and bullet lines. */
function stormSection(result) {
  if (!result) return undefined;
  const title = 'Refresh storm';
  if (result.skipped || result.failed)
    return { title, paragraphs: [`Not measured: ${result.skipped ?? result.failed}.`] };
  const { instances, requests, ttlS, runs, refreshesByInstance } = result;
  const grants = runs.map((run) => run.grants);
  const tokens = runs.map((run) => run.tokens);
  const ok = runs.reduce((sum, run) => sum + run.ok, 0);
  const sent = runs.length * requests;
  const refused = Object.entries(result.grantErrors ?? {});
  const median = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor((runs.length - 1) / 2)];
  const byInstance = refreshesByInstance.reduce((sum, value) => sum + value, 0);
  return {
    title,
    paragraphs: [
      `${int(requests)} concurrent API requests of one session, round-robin over ${instances} BFF instances ` +
        `(separate processes, one Redis), sent ${runs.length} times, each time 20 ms after its access token ` +
        `expired (dev IdP with \`AccessToken\` ${ttlS} s, BFF \`refreshLeeway: 0\`, so every request finds the ` +
        `token expired and must wait for the refresh). Refresh grants are counted in the IdP's process ` +
        `(\`provider.on('grant.success')\` with \`grant_type=refresh_token\`).`,
    ],
    tables: [
      {
        head: ['figure', 'measured', 'goal', 'verdict'],
        rows: [
          [
            'IdP token requests (refresh grants) per storm',
            grants.join(', '),
            `exactly ${GOALS.stormGrants}`,
            verdict(grants.every((value) => value === GOALS.stormGrants)),
          ],
          ['requests answered 200', `${int(ok)} of ${int(sent)}`, 'all', verdict(ok === sent)],
          [
            'distinct access tokens the upstream received per storm',
            tokens.join(', '),
            '1 (the new one)',
            verdict(tokens.every((value) => value === 1)),
          ],
          [
            'refresh grants the IdP refused (reuse, invalid)',
            refused.length ? refused.map(([key, value]) => `${key}: ${value}`).join(', ') : '0',
            '0',
            verdict(refused.length === 0),
          ],
          [
            'refreshes by instance (`gatehouse_refreshes_total{outcome="success"}` of each one\'s metrics port)',
            refreshesByInstance.join(', '),
            `sum = ${runs.length} (one per storm)`,
            verdict(byInstance === runs.length),
          ],
          ...(result.marks
            ? [
                [
                  'left in Redis by the refreshes: write-ahead marks of sent refresh tokens (`lock:refresh-sent:*`)',
                  `${result.marks.keys} keys, ${bytes(result.marks.bytes)} (${result.marks.keys ? bytes(result.marks.bytes / result.marks.keys) : '–'} each), expiring in ${result.marks.ttlS.length ? `${Math.min(...result.marks.ttlS)}–${Math.max(...result.marks.ttlS)} s` : '–'}`,
                  '–',
                  '–',
                ],
              ]
            : []),
          [
            'until every request was answered (median storm)',
            `${ms(median.wallMs)} ms; per request p50 ${ms(median.latency.p50)} ms, p99 ${ms(median.latency.p99)} ms`,
            '–',
            '–',
          ],
        ],
      },
    ],
  };
}

function storeSection(result) {
  if (!result) return undefined;
  const title = 'Redis session store';
  if (result.skipped || result.failed)
    return { title, paragraphs: [`Not measured: ${result.skipped ?? result.failed}.`] };
  const { bytes: b, lookup, perRequest = [], layouts = [], codec, settings } = result;
  const now = layouts.find((layout) => layout.id === 'now');
  const paragraphs = [
    `One session made by a real login (the dev IdP's RS256 JWT access token, ${b.accessToken} characters), ` +
      `in the run's Redis under the prefix \`${b.prefix}\` (${b.prefix.length} characters; the default \`gh:\` ` +
      'is 3), and the same record written by `RedisSessionStore` under `gh:` on a private redis-server. Bytes ' +
      'are `MEMORY USAGE <key> SAMPLES 0` of the session and of its two index keys (`u:` and `o:`, for ' +
      'back-channel logout by sub and by sid).',
  ];
  const sizes = (layout) =>
    `${bytes(layout.total)} (session ${bytes(layout.session)}; index keys ${layout.indexes.map(bytes).join(' + ')})`;
  const goal = (total) =>
    total <= GOALS.bytesPerSession
      ? 'met'
      : `NOT met: ${ratio(total, GOALS.bytesPerSession)} the goal, ${bytes(total - GOALS.bytesPerSession)} over`;
  const rows = [];
  if (now) {
    rows.push([
      'bytes per session, default prefix `gh:` (session + index keys)',
      sizes(now),
      `≤ ${bytes(GOALS.bytesPerSession)} (1 KB)`,
      goal(now.total),
    ]);
  }
  rows.push(
    [
      `bytes per session under the run's ${b.prefix.length}-character prefix`,
      `${bytes(b.total)} (session ${bytes(b.session)}, ${b.encoding}; index keys ${b.indexes.map(bytes).join(' + ')}, ${b.indexEncoding})`,
      `≤ ${bytes(GOALS.bytesPerSession)} (1 KB)`,
      goal(b.total),
    ],
    [
      `RedisSessionStore.get, ${int(settings.lookups)} sequential lookups`,
      `p50 ${duration(lookup.redis.p50)}, p99 ${duration(lookup.redis.p99)} (mean ${duration(lookup.redis.mean)})`,
      '–',
      '–',
    ],
    [
      'MemorySessionStore.get of the same record (for comparison)',
      `p50 ${duration(lookup.memory.p50)}, p99 ${duration(lookup.memory.p99)}`,
      '–',
      '–',
    ],
  );
  const tables = [{ head: ['figure', 'measured', 'goal', 'verdict'], rows }];
  const v = b.value;
  const lines = [
    `What the ${bytes(b.session)} session holds: a ${bytes(v.total)} string (the record is ${bytes(b.json)} as ` +
      `JSON): a ${bytes(v.header)} header (format, lastSeenAt, createdAt, the two 12-byte index hashes), ` +
      `${bytes(v.deflated)} of DEFLATE (identity, times, scope, and the JWT's header and payload as JSON, with ` +
      `a preset dictionary) after a ${bytes(v.length)} length, and ${bytes(v.binary)} of raw bytes (the RS256 ` +
      `signature, the refresh token, sid and jti: base64url decoded). The rest is Redis's: the key ` +
      `(${b.keyLengths[0]} characters) and the object, each rounded up to an allocator size class: a value of ` +
      'up to 634 B takes the 640-byte class, 635–762 B the 768-byte one. Each index key is a string listing ' +
      `one session id (${b.indexEncoding}) under a key of ${b.keyLengths.slice(1).join(' and ')} characters. ` +
      'Prefixes of up to 10 characters cost the same as `gh:`; longer ones move the keys up a class (16 B each).',
  ];
  if (perRequest.length > 0) {
    const memory = perRequest.find((row) => row.id === 'memory');
    tables.push({
      title: `Per proxied request: ${int(settings.requests)} sequential GETs over one keep-alive connection, each BFF in its own process; Redis commands from INFO commandstats of a private redis-server (${result.privateRedisVersion}) that only the BFF used`,
      head: ['BFF', 'p50 ms', 'p99 ms', 'Redis commands per request', 'p50 × memory store'],
      rows: perRequest.map((row) => [
        row.label,
        ms(row.latency.p50),
        ms(row.latency.p99),
        row.redisCommandsPerRequest.toFixed(row.redisCommandsPerRequest < 0.1 ? 4 : 2) +
          (Object.keys(row.commands).length ? ` (${Object.keys(row.commands).join(', ')})` : ''),
        ratio(row.latency.p50, memory?.latency.p50),
      ]),
    });
  }
  if (layouts.length > 0) {
    tables.push({
      title:
        'The same session in other layouts on the private redis-server (prefix `gh:`, flushed before each): the layout before, proposals, and RedisSessionStore as it stores it now',
      head: [
        'layout',
        'bytes per session',
        'session + index keys',
        '× now',
        `≤ ${bytes(GOALS.bytesPerSession)}`,
        'what it takes',
      ],
      rows: layouts.map((layout) => [
        layout.label,
        bytes(layout.total),
        `${int(layout.session)} + ${layout.indexes.map(int).join(' + ')}`,
        ratio(layout.total, now?.total),
        verdict(layout.total <= GOALS.bytesPerSession),
        layout.change,
      ]),
    });
    lines.push(
      `The session codec (format 1): the record is ${bytes(codec.jsonBytes)} as JSON and ${bytes(codec.compactBytes)} ` +
        `encoded; ${codec.encodeUs.toFixed(1)} µs to encode and ${codec.decodeUs.toFixed(1)} µs to decode on this ` +
        `machine (JSON.parse + stringify of the record: ${codec.jsonParseUs.toFixed(1)} µs). The store encodes on ` +
        '`create` and `updateTokens` and decodes on `get`, which the proxy calls only on a session-cache miss ' +
        '(once per session per instance per `sessionCacheMs`), so the codec costs nothing measurable per proxied ' +
        'request.',
    );
  }
  return { title, paragraphs, tables, lines };
}

function browserSection(result) {
  if (!result) return undefined;
  const title = 'In Chromium';
  if (result.skipped || result.failed)
    return { title, paragraphs: [`Not measured: ${result.skipped ?? result.failed}.`] };
  const { pageLoads: p, crossTab, backchannel, settings } = result;
  const loads = (variant) => p[variant];
  const before = loads('inline').requestsBeforeAuthMax;
  const base = loads('noinline');
  const mounted = (variant) =>
    `p50 ${ms(loads(variant).mounted.p50)} ms (p95 ${ms(loads(variant).mounted.p95)})`;
  return {
    title,
    paragraphs: [
      `Chromium ${result.chromium} (system, headless, \`launchChromium()\`), the real dev IdP and two BFF instances ` +
        "on one Redis. The page is a minimal fixture served by the BFF's `renderPage`: the identity inlined with " +
        '`identityScript()`, the real @gatehouse/shell runtime (bench/browser/app.mjs, bundled, ' +
        `${int(result.appBytes)} B minified) from the BFF's assets, and one remote (bench/browser/remote.mjs) from ` +
        'a remotes origin, pinned by integrity, on a route that needs a session. The baseline is the same page ' +
        'without the inlined identity (the runtime then asks `GET /auth/session`), loaded in the same run, ' +
        `interleaved, ${settings.loads} times each: a first visit (a fresh profile) and a repeat visit (same ` +
        'profile). Times are from navigation start. The reference shop (`startShop` of examples/shop: React shell, ' +
        'nine remotes, PGlite in memory) is loaded the same way, signed in, on its home route; there the auth state ' +
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
            String(GOALS.requestsBeforeAuth),
            verdict(before <= GOALS.requestsBeforeAuth),
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
            `p95 ≤ ${GOALS.crossTabP95Ms} ms`,
            verdict(crossTab.fromTabA.p95 <= GOALS.crossTabP95Ms),
            '–',
            '–',
          ],
          [
            "the same from tab A's `logout()` call (POST /auth/logout included)",
            `p95 ${ms(crossTab.fromCall.p95)} ms (p50 ${ms(crossTab.fromCall.p50)}, max ${ms(crossTab.fromCall.max)})`,
            `p95 ≤ ${GOALS.crossTabP95Ms} ms`,
            verdict(crossTab.fromCall.p95 <= GOALS.crossTabP95Ms),
            '–',
            '–',
          ],
          [
            `back-channel logout → open tab hears \`logged-out\` (${backchannel.runs} runs)`,
            `max ${ms(backchannel.latency.max)} ms (p50 ${ms(backchannel.latency.p50)}, p95 ${ms(backchannel.latency.p95)})`,
            `every run ≤ ${GOALS.backchannelMs} ms`,
            verdict(backchannel.latency.max <= GOALS.backchannelMs),
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
    ],
  };
}

/** Rows of the reference shop's page loads (`startShop`), when it ran. */
function shopRows(shop, settings) {
  if (!shop) return [];
  if (shop.skipped || shop.failed)
    return [
      ['the reference shop (startShop)', `not measured: ${shop.skipped ?? shop.failed}`, '–', '–', '–', '–'],
    ];
  const mounted = (visit) => `p50 ${ms(shop[visit].mounted.p50)} ms (p95 ${ms(shop[visit].mounted.p95)})`;
  return [
    [
      `the reference shop (startShop, home route, signed in): requests made by script before the auth state was known (most over ${settings.loads} first visits)`,
      `${shop.first.requestsBeforeAuthMax}${shop.first.requestsBeforeAuthNames.length ? ` (${shop.first.requestsBeforeAuthNames.join(', ')})` : ''}; besides, the page's own code: ${shop.first.codeBeforeAuthMax} files`,
      String(GOALS.requestsBeforeAuth),
      verdict(shop.first.requestsBeforeAuthMax <= GOALS.requestsBeforeAuth),
      '–',
      '–',
    ],
    ['the reference shop: time to first remote mounted, first visit', mounted('first'), '–', '–', '–', '–'],
    ['the reference shop: time to first remote mounted, repeat visit', mounted('repeat'), '–', '–', '–', '–'],
  ];
}

function sections(results) {
  return [stormSection(results.storm), storeSection(results.store), browserSection(results.browser)].filter(
    Boolean,
  );
}

/** Notes on suites whose timings other processes disturbed. */
function disturbedNotes(results) {
  const notes = [];
  const check = (label, cores) => {
    if (cores !== undefined && cores > DISTURBED)
      notes.push(
        `${label}: other processes used ${cores.toFixed(2)} cores meanwhile; its timings are disturbed`,
      );
  };
  check('Redis lookups', results.store?.lookup?.otherCores);
  for (const row of results.store?.perRequest ?? []) check(row.label, row.otherCores);
  check('Chromium page loads', results.browser?.pageLoads?.otherCores);
  check('Chromium page loads of the reference shop', results.browser?.shop?.otherCores);
  check('Chromium cross-tab logout', results.browser?.crossTab?.otherCores);
  check('Chromium back-channel logout', results.browser?.backchannel?.otherCores);
  return notes;
}

const cell = (value) => String(value).replaceAll('|', '\\|');

/** The sections in Markdown (results.md). */
export function suitesMarkdown(results) {
  const out = [];
  for (const section of sections(results)) {
    out.push(`## ${section.title}`, '');
    for (const paragraph of section.paragraphs ?? []) out.push(paragraph, '');
    for (const table of section.tables ?? []) {
      if (table.title) out.push(`${table.title}:`, '');
      out.push(`| ${table.head.map(cell).join(' | ')} |`);
      out.push(`| ${table.head.map(() => '---').join(' | ')} |`);
      for (const row of table.rows) out.push(`| ${row.map(cell).join(' | ')} |`);
      out.push('');
    }
    for (const line of section.lines ?? []) out.push(`- ${line}`);
    if (section.lines?.length) out.push('');
  }
  const notes = disturbedNotes(results);
  if (notes.length) out.push(...notes.map((note) => `- note: ${note}`), '');
  return out.join('\n').trim();
}

/** The sections for the terminal. */
export function suitesText(results) {
  const out = [];
  for (const section of sections(results)) {
    out.push(`${section.title}`, '-'.repeat(section.title.length));
    for (const paragraph of section.paragraphs ?? [])
      if (paragraph.startsWith('Not measured')) out.push(paragraph);
    for (const table of section.tables ?? []) {
      if (table.title) out.push(`${table.title}:`);
      for (const row of table.rows) {
        const rest = row.slice(1).map((value, i) => [table.head[i + 1], value]);
        out.push(
          `  ${row[0]}: ${rest
            .filter(([, value]) => value !== '–' && value !== '')
            .map(([head, value]) => (head === 'measured' ? value : `${head} ${value}`))
            .join('; ')}`,
        );
      }
      out.push('');
    }
  }
  for (const note of disturbedNotes(results)) out.push(`note: ${note}`);
  return out.join('\n').trim();
}
