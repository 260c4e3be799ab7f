import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../src/config.js';
import { optionsFromEnv, parseUpstreams } from '../src/env.js';

const secret = 'x'.repeat(32);

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('GH_BFF_CONFIG_INVALID');
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('fills the contract defaults and freezes the result', () => {
    const config = resolveConfig({ sessionSecrets: [secret] });
    expect(config.publicUrl).toBe('http://localhost:4000');
    expect(config.port).toBe(4000);
    expect(config.callbackUrl).toBe('http://localhost:4000/auth/callback');
    expect(config.scopes).toEqual(['openid', 'profile', 'email', 'offline_access']);
    expect(config.idleTimeout).toBe(1800);
    expect(config.absoluteTimeout).toBe(28_800);
    expect(config.cookieName.startsWith('__Host-')).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.scopes)).toBe(true);
  });

  it('lists every problem in one error', () => {
    const problems = problemsOf(() =>
      resolveConfig({
        sessionSecrets: ['short'],
        publicUrl: 'ftp://x',
        idleTimeout: -1,
        upstreams: { 'Bad Name': { url: 'http://x' }, orders: { url: 'not a url' } },
        // @ts-expect-error an unknown option must be refused
        sesionSecret: 'typo',
      }),
    );
    expect(problems.length).toBeGreaterThanOrEqual(5);
    expect(problems.join('\n')).toMatch(/sesionSecret/);
    expect(problems.join('\n')).toMatch(/sessionSecrets/);
    expect(problems.join('\n')).toMatch(/publicUrl/);
    expect(problems.join('\n')).toMatch(/idleTimeout/);
    expect(problems.join('\n')).toMatch(/upstreams/);
  });

  it('refuses insecure settings in production', () => {
    const problems = problemsOf(() =>
      resolveConfig({
        sessionSecrets: [secret],
        production: true,
        upstreams: { orders: { url: 'http://orders.internal' } },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'issuer: production needs an https issuer',
        'issuer: production refuses the dev identity provider',
        'publicUrl: production needs https',
        'clientSecret: production refuses the dev client secret',
        'upstreams.orders.url: production sends tokens only over https (or loopback)',
      ]),
    );
  });

  it('refuses an idle timeout longer than the absolute one, and workers without Redis', () => {
    const problems = problemsOf(() =>
      resolveConfig({ sessionSecrets: [secret], idleTimeout: 100, absoluteTimeout: 50, workers: 2 }),
    );
    expect(problems).toContain('idleTimeout: must not exceed absoluteTimeout');
    expect(problems).toContain('workers: more than one worker needs redisUrl (REDIS_URL)');
  });

  it('takes a Redis Cluster or Sentinel from REDIS_URL with a switch, and refuses lists without one', () => {
    const nodes = 'redis://10.0.0.1:7000, redis://10.0.0.2:7000';
    const env = { REDIS_URL: nodes, GATEHOUSE_SESSION_SECRET: secret };
    expect(resolveConfig(optionsFromEnv({ ...env, GATEHOUSE_REDIS_CLUSTER: '1' }))).toMatchObject({
      redisUrl: nodes,
      redisCluster: true,
    });
    expect(resolveConfig(optionsFromEnv({ ...env, GATEHOUSE_REDIS_SENTINEL: 'mymaster' }))).toMatchObject({
      redisCluster: false,
      redisSentinel: 'mymaster',
    });
    expect(problemsOf(() => resolveConfig(optionsFromEnv(env)))).toEqual([
      'redisUrl: several Redis URLs need cluster mode or a Sentinel primary name',
    ]);
    expect(problemsOf(() => optionsFromEnv({ ...env, GATEHOUSE_REDIS_CLUSTER: 'yes' }))).toEqual([
      'GATEHOUSE_REDIS_CLUSTER: expected true or false, got "yes"',
    ]);
    const both = { ...env, GATEHOUSE_REDIS_CLUSTER: 'true', GATEHOUSE_REDIS_SENTINEL: 'm' };
    expect(problemsOf(() => resolveConfig(optionsFromEnv(both)))).toEqual([
      'redisUrl: Redis is either a cluster or behind Sentinel, not both',
    ]);
    expect(problemsOf(() => resolveConfig({ sessionSecrets: [secret], redisCluster: true }))).toEqual([
      'redisUrl: redisCluster and redisSentinel need the nodes in redisUrl (REDIS_URL)',
    ]);
  });

  it('has limits against floods by default, each configurable, and refuses push limits out of order', () => {
    expect(resolveConfig({ sessionSecrets: [secret] })).toMatchObject({
      loginRateLimit: 60,
      loginRateWindowMs: 60_000,
      maxPendingLoginsPerBrowser: 5,
      maxPendingLogins: 10_000,
      maxSessionsPerUser: 50,
      maxPushStreamsPerSession: 16,
      maxPushStreamsPerUser: 64,
      maxPushStreams: 10_000,
    });
    const options = optionsFromEnv({
      GATEHOUSE_SESSION_SECRET: secret,
      GATEHOUSE_LOGIN_RATE_LIMIT: '0',
      GATEHOUSE_MAX_PENDING_LOGINS: '500',
      GATEHOUSE_MAX_SESSIONS_PER_USER: '3',
    });
    expect(resolveConfig(options)).toMatchObject({
      loginRateLimit: 0,
      maxPendingLogins: 500,
      maxSessionsPerUser: 3,
    });
    const problems = problemsOf(() =>
      resolveConfig({
        sessionSecrets: [secret],
        maxSessionsPerUser: 0,
        maxPushStreamsPerSession: 20,
        maxPushStreamsPerUser: 200,
        maxPushStreams: 100,
      }),
    );
    expect(problems.some((problem) => problem.startsWith('maxSessionsPerUser:'))).toBe(true);
    expect(
      problemsOf(() =>
        resolveConfig({
          sessionSecrets: [secret],
          maxPushStreamsPerSession: 20,
          maxPushStreamsPerUser: 10,
          maxPushStreams: 5,
        }),
      ),
    ).toEqual([
      'maxPushStreamsPerSession: must not exceed maxPushStreamsPerUser',
      'maxPushStreamsPerUser: must not exceed maxPushStreams',
    ]);
  });
});

describe('optionsFromEnv', () => {
  it('reads the contract variables, the environment winning over the file', () => {
    const options = optionsFromEnv(
      {
        GATEHOUSE_ISSUER: 'https://id.example',
        GATEHOUSE_CLIENT_ID: 'shop',
        GATEHOUSE_CLIENT_SECRET: 's3cret',
        GATEHOUSE_SCOPES: 'openid profile',
        GATEHOUSE_PUBLIC_URL: 'https://shop.example/',
        GATEHOUSE_PORT: '8080',
        GATEHOUSE_UPSTREAMS: 'catalog=http://127.0.0.1:4101;public, orders=http://127.0.0.1:4104',
        GATEHOUSE_SESSION_SECRET: secret,
        GATEHOUSE_IDLE_TIMEOUT: '600',
        GATEHOUSE_ABSOLUTE_TIMEOUT: '3600',
        GATEHOUSE_ROLES_CLAIM: 'groups',
      },
      { issuer: 'http://file.example', idleTimeout: 5 },
    );
    const config = resolveConfig(options);
    expect(config.issuer).toBe('https://id.example');
    expect(config.scopes).toEqual(['openid', 'profile']);
    expect(config.publicUrl).toBe('https://shop.example');
    expect(config.port).toBe(8080);
    expect(config.upstreams.catalog).toMatchObject({ url: 'http://127.0.0.1:4101', access: 'public' });
    expect(config.upstreams.orders).toMatchObject({ url: 'http://127.0.0.1:4104', access: 'required' });
    expect(config.idleTimeout).toBe(600);
    expect(config.rolesClaim).toBe('groups');
  });

  it('generates a session secret in development and requires one in production', () => {
    expect(optionsFromEnv({}).sessionSecrets?.[0]?.length).toBeGreaterThanOrEqual(32);
    expect(problemsOf(() => optionsFromEnv({ NODE_ENV: 'production' }))).toEqual([
      'GATEHOUSE_SESSION_SECRET: required in production (32 characters or more)',
    ]);
  });

  it('refuses malformed numbers and upstream lists with clear messages', () => {
    const problems = problemsOf(() =>
      optionsFromEnv({ GATEHOUSE_PORT: '80a', GATEHOUSE_UPSTREAMS: 'ok=http://a,broken' }),
    );
    expect(problems).toContain('GATEHOUSE_PORT: expected a whole number, got "80a"');
    expect(problems.join()).toMatch(/"broken" is not name=url/);
    expect(parseUpstreams('a=http://x;public')).toEqual({ a: { url: 'http://x', access: 'public' } });
  });

  it('reads each upstream’s ;resource=<uri> (RFC 8707), refusing a repeated or malformed one', () => {
    expect(
      parseUpstreams(
        'orders=http://127.0.0.1:4104;resource=urn:shop:orders,catalog=http://127.0.0.1:4101;public;resource=urn:shop:catalog',
      ),
    ).toEqual({
      orders: { url: 'http://127.0.0.1:4104', access: 'required', resource: 'urn:shop:orders' },
      catalog: { url: 'http://127.0.0.1:4101', access: 'public', resource: 'urn:shop:catalog' },
    });
    const twice: string[] = [];
    parseUpstreams('a=http://x;resource=urn:a;resource=urn:b', twice);
    expect(twice.join()).toMatch(/is not name=url with flags/);
    // Not an absolute URI: the configuration refuses it.
    expect(() =>
      resolveConfig({
        sessionSecrets: ['x'.repeat(32)],
        upstreams: parseUpstreams('a=http://127.0.0.1:1;resource=orders'),
      }),
    ).toThrow(/resource/);
  });

  it('reads each upstream’s ;exchange=<audience> (RFC 8693), refusing it beside a resource or twice', () => {
    expect(
      parseUpstreams('billing=https://billing.internal;exchange=billing-api,catalog=http://c;public'),
    ).toEqual({
      billing: { url: 'https://billing.internal', access: 'required', exchange: 'billing-api' },
      catalog: { url: 'http://c', access: 'public' },
    });
    for (const bad of [
      'a=http://x;exchange=a;exchange=b',
      'a=http://x;exchange=a;resource=urn:a',
      'a=http://x;exchange=',
    ]) {
      const problems: string[] = [];
      parseUpstreams(bad, problems);
      expect(problems.join(), bad).toMatch(/one of ;resource=<uri> ;exchange=<audience>/);
    }
    // In code, both at once is refused by the configuration.
    expect(() =>
      resolveConfig({
        sessionSecrets: ['x'.repeat(32)],
        upstreams: { a: { url: 'http://127.0.0.1:1', resource: 'urn:a', exchange: 'a' } },
      }),
    ).toThrow(/upstreams\.a: give resource or exchange, not both/);
    expect(() =>
      resolveConfig({
        sessionSecrets: ['x'.repeat(32)],
        upstreams: { a: { url: 'http://127.0.0.1:1', exchange: 'a b' } },
      }),
    ).toThrow(/exchange/);
  });

  it('reads the ;ws and ;sse opt-ins of long-lived upstreams, refusing unknown or repeated flags', () => {
    expect(parseUpstreams('live=http://x;ws;sse, feed=http://y;sse')).toEqual({
      live: { url: 'http://x', access: 'required', websocket: true, sse: true },
      feed: { url: 'http://y', access: 'required', sse: true },
    });
    for (const bad of ['a=http://x;websocket', 'a=http://x;ws;ws', 'a=http://x;ws;']) {
      const problems: string[] = [];
      parseUpstreams(bad, problems);
      expect(problems.join()).toMatch(/is not name=url with flags/);
    }
    const both: string[] = [];
    parseUpstreams('a=http://x;public;required', both);
    expect(both).toEqual(['GATEHOUSE_UPSTREAMS: "a" is both public and required']);
  });

  it('refuses a long-lived upstream without a session to follow, and caps that do not nest', () => {
    const problems = problemsOf(() =>
      resolveConfig({
        sessionSecrets: [secret],
        upstreams: { live: { url: 'http://127.0.0.1:1', access: 'public', websocket: true } },
        maxLongLivedPerSession: 20,
        maxLongLived: 10,
      }),
    );
    expect(problems).toContain('upstreams.live: websocket and sse need access "required"');
    expect(problems).toContain('maxLongLivedPerSession: must not exceed maxLongLived');
    const config = resolveConfig({
      sessionSecrets: [secret],
      upstreams: { a: { url: 'http://127.0.0.1:1' } },
    });
    expect(config.upstreams.a).toMatchObject({ websocket: false, sse: false });
    expect([config.maxLongLivedPerSession, config.maxLongLived]).toEqual([16, 10_000]);
  });

  it('reads the headers an upstream gets beyond the allow-list: name=url;public;headers=a+b', () => {
    expect(
      parseUpstreams('a=http://x;public;headers=X-Api-Version+baggage,b=http://y;headers=prefer'),
    ).toEqual({
      a: { url: 'http://x', access: 'public', forwardHeaders: ['X-Api-Version', 'baggage'] },
      b: { url: 'http://y', access: 'required', forwardHeaders: ['prefer'] },
    });
    const config = resolveConfig(
      optionsFromEnv({
        GATEHOUSE_SESSION_SECRET: secret,
        GATEHOUSE_UPSTREAMS: 'a=http://x;headers=X-Api-Version',
      }),
    );
    expect(config.upstreams.a?.forwardHeaders).toEqual(['x-api-version']);
    expect(
      problemsOf(() => optionsFromEnv({ GATEHOUSE_UPSTREAMS: 'a=http://x;headers=a,b' })).join(),
    ).toMatch(/"b" is not name=url/);
  });
});

describe('forwardHeaders', () => {
  it('refuses a header the BFF sets itself, a credential or a hop-by-hop one', () => {
    const problems = problemsOf(() =>
      resolveConfig({
        sessionSecrets: [secret],
        upstreams: {
          a: {
            url: 'http://127.0.0.1:1',
            forwardHeaders: ['Authorization', 'cookie', 'host', 'x-forwarded-for', 'connection', 'proxy-x'],
          },
        },
      }),
    );
    expect(problems).toEqual(
      ['Authorization', 'cookie', 'host', 'x-forwarded-for', 'connection', 'proxy-x'].map(
        (header) => `upstreams.a.forwardHeaders: ${header} is the BFF's own or hop-by-hop`,
      ),
    );
    expect(
      problemsOf(() =>
        resolveConfig({
          sessionSecrets: [secret],
          upstreams: { a: { url: 'http://x', forwardHeaders: ['a b'] } },
        }),
      ).join(),
    ).toMatch(/forwardHeaders/);
  });
});
