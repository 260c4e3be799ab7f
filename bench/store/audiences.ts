// Issue 15's token figures for a session whose BFF has six upstreams of six audiences, by resource indicator
// (RFC 8707) or by token exchange (RFC 8693), on a real login, the dev IdP and the run's Redis:
// - grants per token life when only some of the audiences are used: the BFF must obtain and refresh a token
//   for exactly the audiences the user's requests need, once per token life each (counted at the IdP): refresh
//   grants by resource; exchanges by exchange, with the main token they start from refreshed once per life;
// - Redis bytes of that session once all six hold a token of their own.
// The IdP's access tokens live `lifeS` seconds and the BFF refreshes at expiry (`refreshLeeway: 0`), so each
// life is a window the bench waits out.
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionStore } from '@gatehouse/bff';
import { TOKEN_EXCHANGE_GRANT } from '@gatehouse/dev-idp';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { BENCH_API_HEADERS, bffOptions, sixAudiences } from '../lib/http.js';
import { startUpstreamAndIdp } from '../lib/idp-stack.js';
import { benchPath } from '../lib/paths.js';
import { ask, type Server, startServer } from '../lib/processes.js';
import { signInSession } from '../lib/session.js';
import type { SuiteContext } from '../lib/suite.js';
import type { IdpStats } from '../servers/idp.js';
import { sessionBytes } from './session-value.js';

/** How the audience figures run. */
export interface AudienceSettings {
  /** Access-token life at the IdP, seconds. */
  readonly lifeS: number;
  /** Token lives measured. */
  readonly lives: number;
  /** Requests to each used upstream per life (all used upstreams at once, this many times). */
  readonly rounds: number;
}

/** What the figures measured. */
export interface AudienceResult {
  readonly settings: AudienceSettings;
  /** How the upstreams got their tokens. */
  readonly by: 'resource' | 'exchange';
  /** Upstreams of their own audience the BFF had. */
  readonly audiences: number;
  /** The upstreams the lives used. */
  readonly used: readonly string[];
  /**
   * The grants that gave the audiences their tokens in each life (the first one starts right after the
   * sign-in): refresh grants by resource, token exchanges by exchange.
   */
  readonly grantsPerLife: readonly number[];
  /** By exchange: refresh grants of the main token in each life (the exchanges' subject token). */
  readonly mainRefreshesPerLife?: readonly number[];
  /** Grants the IdP refused (refresh token reuse, invalid, a refused exchange): must be 0. */
  readonly refusedGrants: number;
  /** Answers other than 200 to the bench's requests. */
  readonly failures: number;
  /** The session with a token for every audience: `MEMORY USAGE` of it and its two index keys. */
  readonly bytes: { readonly total: number; readonly session: number; readonly indexes: readonly number[] };
  /** Tokens the session record holds then: its main one and one per audience used. */
  readonly tokens: number;
}

/** How many of the six upstreams the lives use: the other two stay unused until the bytes are measured. */
const USED = 4;

/** Runs the figures; see the file's comment. */
export async function audienceFigures(
  ctx: SuiteContext,
  settings: AudienceSettings,
  by: 'resource' | 'exchange' = 'resource',
): Promise<AudienceResult> {
  const servers: Server[] = [];
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const { port, publicUrl, upstream, idp } = await startUpstreamAndIdp(servers, {
      AccessToken: settings.lifeS,
    });
    const upstreams = sixAudiences(upstream.url, by);
    const used = Object.keys(upstreams).slice(0, USED);
    const options = bffOptions(
      { publicUrl, port, issuer: idp.url, secret: ctx.secret },
      { redisUrl: ctx.redisUrl, redisKeyPrefix: ctx.prefix, refreshLeeway: 0, upstreams },
    );
    const bff = await startServer(`BFF (six audiences by ${by})`, benchPath('servers/bff.ts'), {
      env: { BENCH_BFF_OPTIONS: JSON.stringify(options) },
    });
    servers.push(bff);
    const session = await signInSession(publicUrl, 'alice');
    await session.close();
    const audienceGrant = by === 'resource' ? 'refresh_token' : TOKEN_EXCHANGE_GRANT;
    const grants = async () => {
      const stats = await ask<IdpStats>(idp.child, 'stats');
      const refused = Object.entries(stats.grantErrors)
        .filter(([key]) => key.startsWith('refresh_token:') || key.startsWith(`${TOKEN_EXCHANGE_GRANT}:`))
        .reduce((sum, [, count]) => sum + count, 0);
      return {
        audiences: stats.grants[audienceGrant] ?? 0,
        main: stats.grants.refresh_token ?? 0,
        refused,
      };
    };
    let failures = 0;
    const get = async (name: string) => {
      const answer = await request(`${bff.url}/api/${name}/item`, {
        headers: { ...BENCH_API_HEADERS, cookie: session.cookie },
        dispatcher,
      });
      await answer.body.dump();
      if (answer.statusCode !== 200) failures++;
    };

    const grantsPerLife: number[] = [];
    const mainRefreshesPerLife: number[] = [];
    for (let life = 0; life < settings.lives; life++) {
      const before = await grants();
      const started = Date.now();
      for (let round = 0; round < settings.rounds; round++) await Promise.all(used.map(get));
      const after = await grants();
      grantsPerLife.push(after.audiences - before.audiences);
      mainRefreshesPerLife.push(after.main - before.main);
      ctx.log(
        by === 'resource'
          ? `  life ${life + 1}: ${grantsPerLife.at(-1)} refresh grants for ${used.length} audiences used`
          : `  life ${life + 1}: ${grantsPerLife.at(-1)} exchanges for ${used.length} audiences used, ` +
              `${mainRefreshesPerLife.at(-1)} refresh of the main token`,
      );
      // Every token of this life was obtained after `started`: past its life (and a margin), each is expired.
      await sleep(Math.max(0, started + settings.lifeS * 1_000 + 500 - Date.now()));
    }
    // The two audiences not used yet get their tokens: the session then holds one for each of the six.
    for (const name of Object.keys(upstreams)) await get(name);
    const store = new RedisSessionStore({ url: ctx.redisUrl, keyPrefix: ctx.prefix });
    const record = await store.get(session.sessionId).finally(() => store.close());
    if (!record) throw new Error('the six-audience session is not in Redis');
    const weighed = await sessionBytes(redis, ctx.prefix, session.sessionId, record);
    return {
      settings,
      by,
      audiences: Object.keys(upstreams).length,
      used,
      grantsPerLife,
      ...(by === 'exchange' ? { mainRefreshesPerLife } : {}),
      refusedGrants: (await grants()).refused,
      failures,
      bytes: { total: weighed.total, session: weighed.session, indexes: weighed.indexes },
      tokens: 1 + Object.keys(record.tokens.resources ?? {}).length,
    };
  } finally {
    redis.disconnect();
    await dispatcher.close();
    for (const server of servers.reverse()) await server.stop();
  }
}
