// The refresh storm's and the session store's sections of the report (terminal and bench/results.md), each
// figure with its goal and verdict.
import { duration, int, ms, ratio, verdict } from '../lib/format.js';
import { disturbedNote, notMeasuredSection, type Section, type Table } from '../lib/sections.js';
import { median as middle } from '../lib/stats.js';
import { type NotMeasured, notMeasured } from '../lib/suite.js';
import type { LayoutBytes } from './layouts.js';
import type { StoreResult } from './session-store.js';
import type { StormResult } from './storm.js';

/** Issue 7's goals for the storm and the store. */
export const STORE_GOALS = Object.freeze({
  stormGrants: 1,
  bytesPerSession: 1024,
  /** Issue 19: what one more session of a user costs the index that lists the user's sessions. */
  indexPerSession: 100,
  /** Issue 15: a session's bytes may grow by this much for each audience beyond the first. */
  perExtraAudience: 600,
});

const bytes = (value: number) => `${int(value)} B`;

/** The refresh storm's section. */
export function stormSection(result: StormResult | NotMeasured | undefined): Section | undefined {
  if (!result) return undefined;
  const title = 'Refresh storm';
  if (notMeasured(result)) return notMeasuredSection(title, result);
  const { instances, requests, ttlS, runs, refreshesByInstance, marks } = result;
  const grants = runs.map((run) => run.grants);
  const tokens = runs.map((run) => run.tokens);
  const ok = runs.reduce((sum, run) => sum + run.ok, 0);
  const sent = runs.length * requests;
  const refused = Object.entries(result.grantErrors);
  const median = middle(runs, (run) => run.wallMs);
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
            `exactly ${STORE_GOALS.stormGrants}`,
            verdict(grants.every((value) => value === STORE_GOALS.stormGrants)),
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
          [
            'left in Redis by the refreshes: write-ahead marks of sent refresh tokens (`lock:refresh-sent:*`)',
            `${marks.keys} keys, ${bytes(marks.bytes)} (${marks.keys ? bytes(marks.bytes / marks.keys) : '–'} each), expiring in ${marks.ttlS.length ? `${Math.min(...marks.ttlS)}–${Math.max(...marks.ttlS)} s` : '–'}`,
            '–',
            '–',
          ],
          ...(median
            ? [
                [
                  'until every request was answered (median storm)',
                  `${ms(median.wallMs)} ms; per request p50 ${ms(median.latency.p50)} ms, p99 ${ms(median.latency.p99)} ms`,
                  '–',
                  '–',
                ],
              ]
            : []),
        ],
      },
    ],
  };
}

/** The Redis session store's section: the goal table, then the per-request and layout tables. */
export function storeSection(result: StoreResult | NotMeasured | undefined): Section | undefined {
  if (!result) return undefined;
  const title = 'Redis session store';
  if (notMeasured(result)) return notMeasuredSection(title, result);
  const { bytes: b, lookup, layouts = [], codec, settings } = result;
  const now = layouts.find((layout) => layout.id === 'now');
  const paragraphs = [
    `One session made by a real login (the dev IdP's RS256 JWT access token, ${b.accessToken} characters), ` +
      `in the run's Redis under the prefix \`${b.prefix}\` (${b.prefix.length} characters; the default \`gh:\` ` +
      'is 3), and the same record written by `RedisSessionStore` under `gh:` on a private redis-server. Bytes ' +
      'are `MEMORY USAGE <key> SAMPLES 0` of the session and of its two index keys (`u:` and `o:`, for ' +
      'back-channel logout by sub and by sid).',
  ];
  const rows: string[][] = [];
  if (now) {
    rows.push([
      'bytes per session, default prefix `gh:` (session + index keys)',
      sizes(now),
      `≤ ${bytes(STORE_GOALS.bytesPerSession)} (1 KB)`,
      bytesGoal(now.total),
    ]);
  }
  rows.push(
    [
      `bytes per session under the run's ${b.prefix.length}-character prefix`,
      `${bytes(b.total)} (session ${bytes(b.session)}, ${b.encoding}; index keys ${b.indexes.map(bytes).join(' + ')}, ${b.indexEncoding})`,
      `≤ ${bytes(STORE_GOALS.bytesPerSession)} (1 KB)`,
      bytesGoal(b.total),
    ],
    ...(result.userIndex
      ? [
          [
            `the user's sessions index (\`u:\`), per session of one user (${result.userIndex.sessions} sessions)`,
            `${bytes(Math.round(result.userIndex.perSession))} (${bytes(result.userIndex.before)} with one, ${bytes(result.userIndex.after)} with ${result.userIndex.sessions})`,
            `≤ ${bytes(STORE_GOALS.indexPerSession)} (issue 19)`,
            result.userIndex.perSession <= STORE_GOALS.indexPerSession ? 'met' : 'NOT met',
          ],
        ]
      : []),
    ...audienceRows(result),
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
  const tables: Table[] = [
    { head: ['figure', 'measured', 'goal', 'verdict'], rows },
    ...perRequestTable(result),
    ...layoutsTable(layouts, now),
  ];
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
  if (layouts.length > 0 && codec) {
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

/**
 * Issue 15's rows: refresh grants per token life with some of six audiences used (goal: one per audience
 * used, none refused, every request answered), and the session's bytes once all six hold a token; then the
 * same by token exchange.
 */
function audienceRows(result: StoreResult): string[][] {
  return [...resourceRows(result.audiences), ...exchangeRows(result.audiencesByExchange)];
}

function resourceRows(a: StoreResult['audiences']): string[][] {
  if (!a) return [];
  const used = a.used.length;
  const grantsMet = a.grantsPerLife.every((n) => n === used) && a.refusedGrants === 0 && a.failures === 0;
  const limit = STORE_GOALS.bytesPerSession + (a.audiences - 1) * STORE_GOALS.perExtraAudience;
  return [
    [
      `refresh grants per token life (${a.settings.lifeS} s), a BFF of ${a.audiences} audiences, ${used} of ` +
        `them used (${a.used.join(', ')}; ${a.settings.rounds} requests to each per life)`,
      `${a.grantsPerLife.join(', ')} in ${a.grantsPerLife.length} lives; refused ${a.refusedGrants}; ` +
        `requests not answered 200: ${a.failures}`,
      `${used} each life (one per audience used; issue 15)`,
      grantsMet ? 'met' : 'NOT met',
    ],
    [
      `bytes per session with a token for each of the ${a.audiences} audiences (${a.tokens} tokens with the ` +
        `main one), under the run's prefix`,
      `${bytes(a.bytes.total)} (session ${bytes(a.bytes.session)}; index keys ${a.bytes.indexes.map(bytes).join(' + ')})`,
      `≤ ${bytes(limit)} (1 KB + ${a.audiences - 1} × ${STORE_GOALS.perExtraAudience} B; issue 15)`,
      a.bytes.total <= limit ? 'met' : 'NOT met',
    ],
  ];
}

/**
 * By token exchange: exchanges per token life (goal: one per audience used), the main token they start from
 * refreshed at most once per life, none refused, every request answered; and the bytes with six exchanged
 * tokens (the same goal as by resource).
 */
function exchangeRows(a: StoreResult['audiencesByExchange']): string[][] {
  if (!a) return [];
  const used = a.used.length;
  const main = a.mainRefreshesPerLife ?? [];
  const met =
    a.grantsPerLife.every((n) => n === used) &&
    main.every((n) => n <= 1) &&
    a.refusedGrants === 0 &&
    a.failures === 0;
  const limit = STORE_GOALS.bytesPerSession + (a.audiences - 1) * STORE_GOALS.perExtraAudience;
  return [
    [
      `token exchanges (RFC 8693) per token life (${a.settings.lifeS} s), a BFF of ${a.audiences} audiences ` +
        `by exchange, ${used} of them used (${a.settings.rounds} requests to each per life)`,
      `${a.grantsPerLife.join(', ')} exchanges and ${main.join(', ')} refreshes of the main token in ` +
        `${a.grantsPerLife.length} lives; refused ${a.refusedGrants}; requests not answered 200: ${a.failures}`,
      `${used} exchanges each life (one per audience used), at most 1 refresh (issue 15)`,
      met ? 'met' : 'NOT met',
    ],
    [
      `bytes per session with a token exchanged for each of the ${a.audiences} audiences (${a.tokens} tokens)`,
      `${bytes(a.bytes.total)} (session ${bytes(a.bytes.session)}; index keys ${a.bytes.indexes.map(bytes).join(' + ')})`,
      `≤ ${bytes(limit)} (issue 15)`,
      a.bytes.total <= limit ? 'met' : 'NOT met',
    ],
  ];
}

/** `1,024 B (session 880 B; index keys 72 + 72 B)` */
const sizes = (layout: LayoutBytes) =>
  `${bytes(layout.total)} (session ${bytes(layout.session)}; index keys ${layout.indexes.map(bytes).join(' + ')})`;

/** The verdict on bytes per session, with how far over the goal. */
const bytesGoal = (total: number) =>
  total <= STORE_GOALS.bytesPerSession
    ? 'met'
    : `NOT met: ${ratio(total, STORE_GOALS.bytesPerSession)} the goal, ${bytes(total - STORE_GOALS.bytesPerSession)} over`;

/** The per-proxied-request table, when it was measured. */
function perRequestTable(result: StoreResult): Table[] {
  const { perRequest = [], settings } = result;
  if (perRequest.length === 0) return [];
  const memory = perRequest.find((row) => row.id === 'memory');
  return [
    {
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
    },
  ];
}

/** The layouts table, when they were measured. */
function layoutsTable(layouts: NonNullable<StoreResult['layouts']>, now: LayoutBytes | undefined): Table[] {
  if (layouts.length === 0) return [];
  return [
    {
      title:
        'The same session in other layouts on the private redis-server (prefix `gh:`, flushed before each): the layout before, proposals, and RedisSessionStore as it stores it now',
      head: [
        'layout',
        'bytes per session',
        'session + index keys',
        '× now',
        `≤ ${bytes(STORE_GOALS.bytesPerSession)}`,
        'what it takes',
      ],
      rows: layouts.map((layout) => [
        layout.label,
        bytes(layout.total),
        `${int(layout.session)} + ${layout.indexes.map(int).join(' + ')}`,
        ratio(layout.total, now?.total),
        verdict(layout.total <= STORE_GOALS.bytesPerSession),
        layout.change,
      ]),
    },
  ];
}

/** Notes on the store's timings that other processes disturbed. */
export function storeNotes(result: StoreResult | NotMeasured | undefined): string[] {
  if (!result || notMeasured(result)) return [];
  return [
    ...disturbedNote('Redis lookups', result.lookup.otherCores),
    ...(result.perRequest ?? []).flatMap((row) => disturbedNote(row.label, row.otherCores)),
  ];
}
