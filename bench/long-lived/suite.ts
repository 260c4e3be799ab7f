// Issue 14's figures of the BFF itself: sign-ins per second through one BFF process against the real dev IdP,
// and the memory an idle open WebSocket costs in the BFF (goal ≤ 16 KB per connection).
//
// Every part runs in a process of its own — the dev IdP (servers/idp.ts), a `ws` upstream (ws-upstream.ts)
// and the BFF (bff.ts, memory store, one process, `--expose-gc`) — and the bench process is the browsers: it
// signs in over and over (the login page, the IdP's real form, the callback; lib/session.ts), then opens N
// WebSockets through `/api/live/…` with one session's cookie and leaves them idle. The BFF is asked for its
// heap (+ external) and RSS after a full GC before and after; the difference over N is one connection's cost.
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@gatehouse/testing';
import { WebSocket } from 'ws';
import { bffOptions } from '../lib/http.js';
import { benchPath } from '../lib/paths.js';
import { ask, type Server, startServer } from '../lib/processes.js';
import { signInSession } from '../lib/session.js';
import type { SuiteContext } from '../lib/suite.js';
import type { BffMemory } from './bff.js';

/** How long and how much. */
export interface LongLivedSettings {
  /** Seconds of sign-ins. */
  readonly signInS: number;
  /** Sign-ins in flight at once. */
  readonly signInConcurrency: number;
  /** Idle WebSockets opened for the memory figure. */
  readonly sockets: number;
}

/** What the suite measured. */
export interface LongLivedResult {
  readonly signIns: { readonly count: number; readonly seconds: number; readonly failed: number };
  readonly concurrency: number;
  readonly sockets: number;
  /** Bytes per idle connection: heap + external, and RSS. */
  readonly heapPerSocket: number;
  readonly rssPerSocket: number;
}

/** The goals of issue 14. */
export const LONG_LIVED_GOALS = { bytesPerSocket: 16 * 1024 } as const;

export async function longLivedFigures(
  ctx: SuiteContext,
  settings: LongLivedSettings,
): Promise<LongLivedResult> {
  const servers: Server[] = [];
  try {
    const { bff, publicUrl } = await startStack(ctx, settings, servers);
    const signIns = await signInRate(publicUrl, settings);
    ctx.log(`  sign-ins: ${signIns.count} in ${signIns.seconds.toFixed(1)} s (${signIns.failed} failed)`);
    const memory = await idleSocketCost(ctx, bff, publicUrl, settings.sockets);
    return { signIns, concurrency: settings.signInConcurrency, sockets: settings.sockets, ...memory };
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}

/** The most long-lived connections the BFF's config allows one session (`maxLongLivedPerSession` ≤ 1000). */
const SOCKETS_PER_SESSION = 1000;

async function startStack(ctx: SuiteContext, settings: LongLivedSettings, servers: Server[]) {
  const port = await freePort();
  const publicUrl = `http://localhost:${port}`;
  const upstream = await startServer('WebSocket upstream', benchPath('long-lived/ws-upstream.ts'));
  servers.push(upstream);
  const idp = await startServer('dev IdP', benchPath('servers/idp.ts'), {
    env: { BENCH_IDP_OPTIONS: JSON.stringify({ bffBaseUrl: publicUrl }) },
  });
  servers.push(idp);
  const options = bffOptions(
    { publicUrl, port, issuer: idp.url, secret: ctx.secret },
    {
      upstreams: { live: { url: upstream.url, websocket: true } },
      // The bench is one client address signing in many times, and spreads the sockets over as few sessions
      // as the per-session cap allows (at most SOCKETS_PER_SESSION each).
      loginRateLimit: 0,
      maxSessionsPerUser: 100_000,
      maxLongLivedPerSession: Math.min(settings.sockets, SOCKETS_PER_SESSION),
      maxLongLived: settings.sockets,
    },
  );
  const bff = await startServer('BFF', benchPath('long-lived/bff.ts'), {
    env: { BENCH_BFF_OPTIONS: JSON.stringify(options) },
    execArgv: ['--expose-gc'],
  });
  servers.push(bff);
  return { bff, publicUrl };
}

/** Complete sign-ins (login, the IdP's form, the callback, a session) for `signInS` seconds. */
async function signInRate(publicUrl: string, settings: LongLivedSettings) {
  // One warm-up sign-in: the IdP's discovery and keys, the first compilation of every path.
  await (await signInSession(publicUrl, 'alice')).close();
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
  let count = 0;
  let failed = 0;
  const started = performance.now();
  const until = started + settings.signInS * 1000;
  await Promise.all(
    Array.from({ length: settings.signInConcurrency }, async (_, lane) => {
      for (let i = lane; performance.now() < until; i += settings.signInConcurrency) {
        try {
          await (await signInSession(publicUrl, users[i % users.length] as string)).close();
          count++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { count, failed, seconds: (performance.now() - started) / 1000 };
}

/** Opens `n` idle WebSockets through the BFF and answers what each costs it. */
async function idleSocketCost(ctx: SuiteContext, bff: Server, publicUrl: string, n: number) {
  const sessions: Array<{ cookie: string }> = [];
  for (let i = 0; i < Math.ceil(n / SOCKETS_PER_SESSION); i++) {
    const session = await signInSession(publicUrl, 'alice');
    await session.close();
    sessions.push(session);
  }
  const url = `${publicUrl.replace(/^http/, 'ws')}/api/live/idle`;
  let opened = 0;
  const open = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const session = sessions[Math.floor(opened++ / SOCKETS_PER_SESSION) % sessions.length];
      const socket = new WebSocket(url, {
        headers: { cookie: session?.cookie ?? '', origin: publicUrl },
        perMessageDeflate: false,
      });
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`handshake answered ${res.statusCode}`)),
      );
    });
  // Warm-up: the upgrade path compiled and the sockets' pools allocated before the baseline.
  const warm = await Promise.all(Array.from({ length: Math.min(50, n) }, open));
  await closeAll(warm);
  await sleep(500);
  const before = await ask<BffMemory>(bff.child, 'memory');
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 100)
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, open))));
  await sleep(1000);
  const after = await ask<BffMemory>(bff.child, 'memory');
  if (after.open !== n) throw new Error(`the BFF holds ${after.open} connections, not ${n}`);
  ctx.log(
    `  ${n} idle WebSockets: heap ${kb(after.heap - before.heap)} KB, RSS ${kb(after.rss - before.rss)} KB`,
  );
  await closeAll(sockets);
  return { heapPerSocket: (after.heap - before.heap) / n, rssPerSocket: (after.rss - before.rss) / n };
}

const kb = (bytes: number) => (bytes / 1024).toFixed(0);

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.close();
        }),
    ),
  );
}
