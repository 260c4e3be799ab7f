import { gatehouseApi } from '@gatehouse/api';
import {
  bffClient,
  createDevIdp,
  type DevIdp,
  shopServiceAudiences,
  TOKEN_EXCHANGE_GRANT,
} from '@gatehouse/dev-idp';
import { API_HEADERS, describeWith, freePort, TestBrowser } from '@gatehouse/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BffOptions } from '../src/index.js';
import { useTwoInstances } from './support/instances.js';
import { type Stack, signIn, startStack } from './support/stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CATALOG = shopServiceAudiences.catalog;
const ORDERS = shopServiceAudiences.orders;

/** A real @gatehouse/api service for one audience, answering the caller's `sub`; it records each token. */
interface Api {
  readonly app: FastifyInstance;
  readonly url: string;
  /** The `Authorization` header of each request it saw. */
  readonly seen: string[];
}

async function startApi(issuer: string, audience: string): Promise<Api> {
  const seen: string[] = [];
  const app = Fastify();
  app.addHook('onRequest', async (request) => {
    if (request.headers.authorization) seen.push(request.headers.authorization);
  });
  await app.register(gatehouseApi, { issuer, audience });
  app.get('/whoami', async (request) => ({ sub: request.principal?.sub ?? null }));
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }), seen };
}

/** The IdP counts each grant it answered, by grant type. */
function countGrants(idp: DevIdp): (type: string) => number {
  const counts = new Map<string, number>();
  idp.provider.on('grant.success', (ctx: { oidc: { params?: { grant_type?: unknown } } }) => {
    const type = String(ctx.oidc.params?.grant_type);
    counts.set(type, (counts.get(type) ?? 0) + 1);
  });
  return (type) => counts.get(type) ?? 0;
}

async function sessionId(stack: Stack, browser: TestBrowser): Promise<string> {
  const cookie = (await browser.jar.getCookies(stack.bffUrl)).find(
    (entry) => entry.key === '__Host-Http-gatehouse',
  );
  return cookie?.value.split('.')[0] ?? '';
}

interface Setup {
  readonly stack: Stack;
  readonly catalog: Api;
  readonly orders: Api;
  readonly grants: (type: string) => number;
}

/** The dev IdP (4-s access tokens, its client for a BFF on `bffPort`) and the catalog and orders APIs. */
async function idpAndApis(idpOptions: { dpop?: boolean } = {}) {
  const bffPort = await freePort();
  const idp = await createDevIdp({
    port: 0,
    clients: [bffClient({ baseUrl: `http://localhost:${bffPort}` })],
    ttl: { AccessToken: 6 },
    ...idpOptions,
  });
  const grants = countGrants(idp);
  const catalog = await startApi(idp.issuer, CATALOG);
  const orders = await startApi(idp.issuer, ORDERS);
  return { bffPort, idp, catalog, orders, grants };
}

/**
 * The dev IdP, two real APIs of their own audiences and a BFF whose `catalog` (public) and `orders` upstreams
 * get their tokens by exchange (RFC 8693); `nowhere` names an audience the IdP does not serve.
 */
async function setUp(bff: Partial<BffOptions> = {}, idpOptions: { dpop?: boolean } = {}): Promise<Setup> {
  const { bffPort, idp, catalog, orders, grants } = await idpAndApis(idpOptions);
  const stack = await startStack({
    idp,
    bffPort,
    bff: (echo) => ({
      refreshLeeway: 1,
      upstreams: {
        echo: { url: echo },
        catalog: { url: catalog.url, access: 'public', exchange: CATALOG },
        orders: { url: orders.url, exchange: ORDERS },
        nowhere: { url: `${echo}/nowhere`, exchange: 'urn:gatehouse:nowhere' },
      },
      ...bff,
    }),
  });
  return { stack, catalog, orders, grants };
}

async function tearDown(setup: Setup): Promise<void> {
  await setup.stack.close();
  await setup.catalog.app.close();
  await setup.orders.app.close();
  await setup.stack.idp.close();
}

describe('tokens by exchange (RFC 8693): an upstream names the audience its token is exchanged for', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp();
  });
  afterAll(() => tearDown(setup));

  it('exchanges the main token once per audience, caches it, and spends no refresh token', async () => {
    const { stack, catalog, orders, grants } = setup;
    const anonymous = new TestBrowser();
    // A public upstream gets no token without a session (this API then asks for one itself).
    await anonymous.get(`${stack.bffUrl}/api/catalog/whoami`, API_HEADERS);
    expect(catalog.seen).toEqual([]);

    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    for (const path of ['catalog/whoami', 'orders/whoami', 'catalog/whoami', 'orders/whoami']) {
      const answer = await browser.get(`${stack.bffUrl}/api/${path}`, API_HEADERS);
      expect(answer.status, path).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({ sub: 'user_alice' });
    }
    expect(decodeJwt(catalog.seen[0]!.slice('Bearer '.length)).aud).toBe(CATALOG);
    expect(decodeJwt(orders.seen[0]!.slice('Bearer '.length)).aud).toBe(ORDERS);
    expect(catalog.seen[1]).toBe(catalog.seen[0]);
    expect(grants(TOKEN_EXCHANGE_GRANT)).toBe(2);
    expect(grants('refresh_token')).toBe(0);
    const record = await stack.bff.runtime.store.get(await sessionId(stack, browser));
    expect(Object.keys(record?.tokens.resources ?? {}).sort()).toEqual([
      `exchange ${CATALOG}`,
      `exchange ${ORDERS}`,
    ]);
    expect(stack.logs.events('token_exchange')).toHaveLength(2);
  });

  it('the token exchanged for the catalog is refused by the orders API, over real HTTP', async () => {
    const { catalog, orders } = setup;
    // What the BFF sent (these direct calls are seen too).
    const [catalogToken, ordersToken] = [catalog.seen.at(-1)!, orders.seen.at(-1)!];
    const refused = await fetch(`${orders.url}/whoami`, { headers: { authorization: catalogToken } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const back = await fetch(`${catalog.url}/whoami`, { headers: { authorization: ordersToken } });
    expect(back.status).toBe(401);
    // Each API takes its own.
    expect((await fetch(`${catalog.url}/whoami`, { headers: { authorization: catalogToken } })).status).toBe(
      200,
    );
  });

  it('100 concurrent first requests cost one exchange', async () => {
    const { stack, grants } = setup;
    const before = grants(TOKEN_EXCHANGE_GRANT);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'bob');
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => browser.get(`${stack.bffUrl}/api/orders/whoami`, API_HEADERS)),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    expect(grants(TOKEN_EXCHANGE_GRANT) - before).toBe(1);
  });

  it('an audience the issuer refuses answers 502 for that upstream alone; the session goes on', async () => {
    const { stack } = setup;
    const browser = new TestBrowser();
    await signIn(browser, stack, 'carol');
    const refused = await browser.get(`${stack.bffUrl}/api/nowhere/x`, API_HEADERS);
    expect(refused.status).toBe(502);
    expect(refused.header('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(refused.text)).toMatchObject({ code: 'upstream_unavailable' });
    expect(stack.echo.seen.some((entry) => entry.url.startsWith('/nowhere'))).toBe(false);
    expect(stack.logs.events('token_exchange_failure').at(-1)).toMatchObject({
      audience: 'urn:gatehouse:nowhere',
      error: 'invalid_target',
    });
    expect((await browser.get(`${stack.bffUrl}/api/orders/whoami`, API_HEADERS)).status).toBe(200);
    expect((await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).status).toBe(200);
  });

  it('exchanges again when the token is due, with a main token refreshed first', async () => {
    const { stack, orders, grants } = setup;
    const browser = new TestBrowser();
    await signIn(browser, stack, 'dave');
    expect((await browser.get(`${stack.bffUrl}/api/orders/whoami`, API_HEADERS)).status).toBe(200);
    const first = orders.seen.at(-1);
    const [exchanges, refreshes] = [grants(TOKEN_EXCHANGE_GRANT), grants('refresh_token')];
    await sleep(5200);
    expect((await browser.get(`${stack.bffUrl}/api/orders/whoami`, API_HEADERS)).status).toBe(200);
    expect(orders.seen.at(-1)).not.toBe(first);
    expect(grants(TOKEN_EXCHANGE_GRANT) - exchanges).toBe(1);
    // The main token was due as well: refreshed once, in the same lock, before the exchange.
    expect(grants('refresh_token') - refreshes).toBe(1);
    expect(stack.logs.events('refresh_failure')).toEqual([]);
  });
});

describe('tokens by exchange with DPoP (RFC 9449)', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp({ dpop: true }, { dpop: true });
  });
  afterAll(() => tearDown(setup));

  it('the exchanged token is bound to the BFF key, and the API takes it only with a proof', async () => {
    const { stack, catalog } = setup;
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const answer = await browser.get(`${stack.bffUrl}/api/catalog/whoami`, API_HEADERS);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ sub: 'user_alice' });
    const header = catalog.seen.at(-1)!;
    expect(header).toMatch(/^DPoP /);
    const token = header.slice('DPoP '.length);
    expect(decodeJwt(token).aud).toBe(CATALOG);
    const record = await stack.bff.runtime.store.get(await sessionId(stack, browser));
    const main = record?.tokens.accessToken ?? '';
    expect(decodeJwt(token).cnf).toEqual(decodeJwt(main).cnf);
    expect(decodeJwt(main).cnf).toEqual({ jkt: expect.any(String) });
    const bare = await fetch(`${catalog.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(bare.status).toBe(401);
  });
});

await describeWith(['redis'], 'tokens by exchange across two BFF instances on one Redis', () => {
  const twoInstances = useTwoInstances();
  let parts: Awaited<ReturnType<typeof idpAndApis>> | undefined;
  afterAll(async () => {
    await parts?.catalog.app.close();
    await parts?.orders.app.close();
    await parts?.idp.close();
  });

  it('200 concurrent requests over both instances: one exchange per audience, the same token on both', async () => {
    parts = await idpAndApis();
    const { bffPort, idp, catalog, orders, grants } = parts;
    const { a, bUrl } = await twoInstances(
      {
        upstreams: {
          catalog: { url: catalog.url, access: 'public', exchange: CATALOG },
          orders: { url: orders.url, exchange: ORDERS },
        },
      },
      { idp, bffPort },
    );
    const browser = new TestBrowser();
    await signIn(browser, a, 'erin');
    const cookie = await browser.jar.getCookieString(a.bffUrl);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        browser.get(`${i % 2 ? a.bffUrl : bUrl}/api/${i % 4 < 2 ? 'orders' : 'catalog'}/whoami`, {
          ...API_HEADERS,
          cookie,
        }),
      ),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    expect(grants(TOKEN_EXCHANGE_GRANT)).toBe(2);
    expect(new Set(catalog.seen).size).toBe(1);
    expect(new Set(orders.seen).size).toBe(1);
  });
});
