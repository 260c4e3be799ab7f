import { createServer, type Server } from 'node:http';
import { createBffServer, createLogger, resolveConfig } from '@gatehouse/bff';
import { bffClient, createDevIdp, type DevIdp, demoUsers } from '@gatehouse/dev-idp';
import { API_HEADERS, freePort, signIn, TestBrowser, type TestResponse } from '@gatehouse/testing';
import {
  type Database,
  type ShopApis,
  type ShopService,
  shopServiceAudiences,
  shopTenantTokens,
  shopUpstreams,
  startShopApis,
} from '../../src/index.js';

export type Login = 'alice' | 'bob' | 'carol' | 'dave' | 'erin' | 'frank' | 'grace';
const LOGINS: readonly Login[] = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];

/** The dev IdP, the shop's six APIs on `db`, and the real BFF in front of them, all on free ports. */
export interface ShopStack {
  readonly db: Database;
  readonly idp: DevIdp;
  readonly apis: ShopApis;
  readonly bffUrl: string;
  /** A signed-in browser (session cookie in its jar) per user. */
  readonly browsers: Readonly<Record<Login, TestBrowser>>;
  /** An anonymous browser. */
  readonly anonymous: TestBrowser;
  /** `/api/<path>` through the BFF, as the shell's API client calls it (CSRF header, Fetch Metadata). */
  api(
    who: Login | 'anonymous',
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  /**
   * The access token the BFF attaches for `who` to an upstream of `service`'s audience (seen by a probe
   * upstream `probe-<service>` that names it as its `resource`), for direct calls to a service.
   */
  accessToken(who: Login, service: ShopService): Promise<string>;
  close(): Promise<void>;
}

const SECRET = 'shop-test-session-secret-of-at-least-32-characters';

/** A probe upstream that answers with the `Authorization` header it received. */
async function startTokenProbe(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ authorization: req.headers.authorization ?? null }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, server };
}

/** Starts the whole stack on `db` (already migrated and seeded) and signs every user in. */
export async function startShopStack(db: Database): Promise<ShopStack> {
  const bffPort = await freePort();
  const bffUrl = `http://localhost:${bffPort}`;
  const idp = await createDevIdp({
    port: 0,
    clients: [bffClient({ baseUrl: bffUrl })],
    users: [...demoUsers],
  });
  const zero = { catalog: 0, cart: 0, checkout: 0, orders: 0, profile: 0, org: 0 };
  const apis = await startShopApis({ db, issuer: idp.issuer, ports: zero });
  const probe = await startTokenProbe();
  const config = resolveConfig({
    publicUrl: bffUrl,
    port: bffPort,
    issuer: idp.issuer,
    resource: 'urn:gatehouse:shop',
    tenantTokenParameter: shopTenantTokens.parameter,
    sessionSecrets: [SECRET],
    upstreams: {
      ...shopUpstreams(apis.ports),
      ...Object.fromEntries(
        Object.entries(shopServiceAudiences).map(([service, resource]) => [
          `probe-${service}`,
          { url: probe.url, resource },
        ]),
      ),
    },
    logLevel: 'silent',
  });
  const server = await createBffServer({ config, logger: createLogger('silent') });
  const bff = await server.listen();

  const browsers = Object.fromEntries(LOGINS.map((login) => [login, new TestBrowser()])) as Record<
    Login,
    TestBrowser
  >;
  // erin edits acme's billing, which needs a recent second factor: she signs in with her security code.
  await Promise.all(
    LOGINS.map((login) =>
      signIn(browsers[login], bffUrl, login, login === 'erin' ? { extraFields: { code: '123456' } } : {}),
    ),
  );
  const anonymous = new TestBrowser();

  const stack: ShopStack = {
    db,
    idp,
    apis,
    bffUrl,
    browsers,
    anonymous,
    api(who, method, path, body, headers = {}) {
      const browser = who === 'anonymous' ? anonymous : browsers[who];
      return browser.request(`${bffUrl}/api${path}`, {
        method,
        headers: { ...API_HEADERS, ...headers },
        ...(body !== undefined ? { json: body } : {}),
      });
    },
    async accessToken(who, service) {
      const answer = await stack.api(who, 'GET', `/probe-${service}/`);
      const { authorization } = answer.json<{ authorization: string | null }>();
      if (!authorization?.startsWith('Bearer ')) throw new Error(`no token for ${who}`);
      return authorization.slice('Bearer '.length);
    },
    async close() {
      await bff.close();
      await new Promise<void>((resolve) => probe.server.close(() => resolve()));
      await apis.close();
      await idp.close();
    },
  };
  return stack;
}
