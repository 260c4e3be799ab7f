import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { type BffServer, createBffServer, createLogger, resolveConfig } from '@gatehouse/bff';
import { createSampleApi } from '@gatehouse/cli';
import { bffClient, createDevIdp, type DevIdp } from '@gatehouse/dev-idp';
import { openShopDatabase } from '@gatehouse/example-shop';
import { looksLikeCredential } from '@gatehouse/policy';
import { API_HEADERS, demoRoleMaps, endIdpSession, freePort, signIn, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run test:attack` (and part of `npm test`): attacks against a running stack — the real dev IdP, the
 * BFF, a domain API built on `@gatehouse/api` and an upstream that records what reaches it — each one line in
 * the report printed at the end (`blocked` or `FAILED`), with the total the README quotes. Every attack is also
 * a test that fails when it gets through.
 */

const SECRET = 'attack-suite-session-secret-32-characters!';
const LOGIN_LIMIT = 30;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Seen {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

let idp: DevIdp;
let bff: BffServer;
let bffUrl: string;
const seen: Seen[] = [];
const servers: Server[] = [];
let canaryHits = 0;
/** The bodies of the back-channel logout requests the dev IdP sent (relayed to the BFF as they came). */
const logoutBodies: string[] = [];
let canaryPort = 0;
/** The BFF's client id at the dev IdP (the `aud` of its logout tokens). */
let clientId = '';
const stops: Array<() => Promise<unknown>> = [];
const report: Array<{ attack: string; blocked: boolean }> = [];

/** Runs one attack; `blocked` must say whether the stack stopped it. Records the line, then asserts. */
async function attack(name: string, attempt: () => Promise<boolean>): Promise<void> {
  let blocked = false;
  try {
    blocked = await attempt();
  } finally {
    report.push({ attack: name, blocked });
  }
  expect(blocked, name).toBe(true);
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const port = await freePort();
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.push(server);
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  bffUrl = `http://localhost:${port}`;
  // The IdP's back-channel logout goes through a relay that keeps a copy of each logout token, to replay.
  const relay = await listen((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', async () => {
      logoutBodies.push(body);
      const answer = await postLogoutToken(body);
      res.writeHead(answer).end();
    });
  });
  const client = {
    ...bffClient({ baseUrl: bffUrl }),
    backchannel_logout_uri: `http://localhost:${relay}/auth/backchannel-logout`,
  };
  clientId = client.client_id;
  idp = await createDevIdp({ port: 0, clients: [client], ttl: { AccessToken: 3 } });
  stops.push(() => idp.close());
  const api = await createSampleApi({ issuer: idp.issuer });
  await api.listen({ port: 0, host: '127.0.0.1' });
  // The same API for another audience: the BFF's token is not for it, so it answers its own 401.
  const other = await createSampleApi({ issuer: idp.issuer, audience: 'urn:gatehouse:other' });
  await other.listen({ port: 0, host: '127.0.0.1' });
  stops.push(
    () => api.close(),
    () => other.close(),
  );
  const echo = await listen((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  canaryPort = await listen((_req, res) => {
    canaryHits++;
    res.end();
  });
  const portOf = (app: typeof api) => (app.server.address() as { port: number }).port;
  const config = resolveConfig({
    publicUrl: bffUrl,
    issuer: idp.issuer,
    resource: 'urn:gatehouse:shop',
    ...demoRoleMaps,
    sessionSecrets: [SECRET],
    refreshLeeway: 1,
    maxSessionsPerUser: 3,
    loginRateLimit: LOGIN_LIMIT,
    upstreams: {
      sample: { url: `http://127.0.0.1:${portOf(api)}` },
      other: { url: `http://127.0.0.1:${portOf(other)}` },
      echo: { url: `http://127.0.0.1:${echo}` },
    },
  });
  bff = await (await createBffServer({ config, logger: createLogger('silent') })).listen();
  stops.push(() => bff.close());
}, 60_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  for (const server of servers) server.close();
  const blocked = report.filter((line) => line.blocked).length;
  const lines = report.map((line) => `${line.blocked ? 'blocked' : 'FAILED '}  ${line.attack}`);
  console.log(
    [...lines, `${report.length} attacks tried, ${blocked} blocked`]
      .map((line) => `attack: ${line}`)
      .join('\n'),
  );
});

/** Posts a back-channel logout request body to the BFF; answers the status. */
async function postLogoutToken(body: string): Promise<number> {
  const answer = await fetch(`${bffUrl}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  await answer.arrayBuffer();
  return answer.status;
}

/**
 * A logout token signed by the dev IdP itself — oidc-provider's own `IdToken` as its back-channel logout
 * builds it (`typ: logout+jwt`, the event, `iss`, `aud`, `iat`, `exp`), with its current signing key, the one
 * it publishes at its `jwks_uri` — but with the `jti` the attacker chooses, or none.
 */
async function mintLogoutToken(sub: string, jti: string | undefined): Promise<string> {
  const client = await idp.provider.Client.find(clientId);
  if (!client) throw new Error(`no client ${clientId} at the dev IdP`);
  const token = new idp.provider.IdToken({ sub }, { client });
  // As oidc-provider's own back-channel logout does: the `sub` as the client knows it.
  (token as unknown as { mask: object }).mask = { sub: null };
  token.set('events', { 'http://schemas.openid.net/event/backchannel-logout': {} });
  if (jti !== undefined) token.set('jti', jti);
  return token.issue({ use: 'logout' });
}

/** Posts a logout token; answers the status and the body the BFF sent with it. */
async function postLogout(token: string): Promise<{ status: number; body: { error?: string } }> {
  const answer = await fetch(`${bffUrl}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
  });
  return { status: answer.status, body: (await answer.json().catch(() => ({}))) as { error?: string } };
}

const api = (browser: TestBrowser, path: string, headers: Record<string, string> = {}) =>
  browser.request(`${bffUrl}${path}`, { headers: { ...API_HEADERS, origin: bffUrl, ...headers } });

/** One raw HTTP/1.1 request, for what an HTTP client would not send (absolute-form targets, raw paths). */
function raw(target: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const port = Number(new URL(bffUrl).port);
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('end', () => resolve(Number(data.split(' ')[1])));
    socket.on('error', reject);
    const lines = Object.entries({ host: `localhost:${port}`, connection: 'close', ...headers });
    socket.write(`GET ${target} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
  });
}

describe('attacks against a running stack', () => {
  let alice: TestBrowser;
  let cookie: string;
  beforeAll(async () => {
    alice = new TestBrowser();
    await signIn(alice, bffUrl, 'alice');
    cookie = await alice.jar.getCookieString(bffUrl);
  });

  it('absolute-form request target pointing elsewhere', async () => {
    await attack('absolute-form target sends the token to another host', async () => {
      const before = seen.length;
      const status = await raw(`http://127.0.0.1:${canaryPort}/api/echo/x`, {
        cookie,
        'x-csrf': '1',
        'sec-fetch-site': 'same-origin',
      });
      return status >= 400 && canaryHits === 0 && seen.length === before;
    });
  });

  const forged: Record<string, string> = {
    'x-http-method-override': 'DELETE',
    'x-original-url': '/admin',
    'x-rewrite-url': '/admin',
    'x-envoy-original-path': '/admin',
    'remote-user': 'admin',
    'x-amzn-oidc-identity': 'admin',
    'x-ms-client-principal-name': 'admin',
    'x-consumer-id': 'admin',
    'x-jwt-assertion': 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
    'client-ip': '6.6.6.6',
    'x-api-key': 'stolen',
    'x-user-id': 'user_admin',
    'x-forwarded-for': '6.6.6.6',
    forwarded: 'for=6.6.6.6',
  };
  it.each(Object.keys(forged))('forged header %s', async (name) => {
    await attack(`forged header ${name} reaches the upstream`, async () => {
      const answer = await api(alice, '/api/echo/whoami', { [name]: forged[name] as string });
      const got = seen.at(-1)?.headers[name];
      return answer.status === 200 && got !== forged[name];
    });
  });

  it.each([
    '/api/echo/%2e%2e%2fadmin',
    '/api/echo/..%2fadmin',
    '/api/echo/a/../../admin',
    '/api/echo/%2E%2E/x',
    '/api/echo/a%2fb',
    '/api/echo/a%5cb',
    '/api/echo/a\\b',
    '/api/echo//evil.example/x',
    '/api/echo/http://evil.example/x',
    '/api/echo/a%00b',
    '/%61pi/echo/x',
  ])('path %s', async (path) => {
    await attack(`path ${path} escapes the upstream's base`, async () => {
      const before = seen.length;
      const status = await raw(path, { cookie, 'x-csrf': '1', 'sec-fetch-site': 'same-origin' });
      return status >= 400 && seen.length === before;
    });
  });

  it('an upstream’s own 401', async () => {
    await attack('an upstream’s 401 passes for the end of the session', async () => {
      const answer = await api(alice, '/api/other/me');
      const session = await alice.get(`${bffUrl}/auth/session`, API_HEADERS);
      // The API's own word (`unauthenticated`, invalid_token) comes through, never the BFF's session_expired,
      // and the session lives on: the browser runtime ends a session only on session_expired.
      return (
        answer.status === 401 &&
        answer.json<{ code: string }>().code === 'unauthenticated' &&
        session.json<{ isAuthenticated: boolean }>().isAuthenticated === true &&
        (await api(alice, '/api/sample/me')).status === 200
      );
    });
  });

  it('adversarial eyJ text against the credential check', async () => {
    await attack('backtracking eyJ string stalls the credential check', async () => {
      const started = performance.now();
      // Through the BFF: telemetry as long as the contract allows, checked for credentials before logging.
      const answer = await alice.request(`${bffUrl}/telemetry`, {
        method: 'POST',
        headers: { ...API_HEADERS, origin: bffUrl, 'content-type': 'application/json' },
        body: JSON.stringify({
          events: [{ type: 'page_view', time: new Date().toISOString(), route: `/${'eyJ'.repeat(170)}` }],
        }),
      });
      // The same check the shell's event bus runs on every payload, on a megabyte (the old one took 4.5 s on
      // 60 KB): a backtracking check would not answer in time.
      const megabyte = looksLikeCredential('eyJ'.repeat(350_000));
      return answer.status < 500 && !megabyte && performance.now() - started < 5000;
    });
  });

  it('junk session cookies', async () => {
    await attack('junk and forged session cookies get a session', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 200 }, async (_, n) => {
          const junk = new TestBrowser();
          await junk.jar.setCookie(
            `__Host-Http-gatehouse=junk${n}.${'A'.repeat(43)}; Path=/; Secure`,
            bffUrl,
          );
          return (await api(junk, '/api/sample/me')).status;
        }),
      );
      return statuses.every((status) => status === 401);
    });
  });

  it('junk cookies beside a valid session cookie', async () => {
    await attack('junk cookies pin memory in the verified-cookie cache', async () => {
      // Each request carries alice's session cookie and 11 KB of another junk cookie: a cache keyed on the
      // whole Cookie header would keep every one of them (the review pinned ~130 MB this way).
      const junkRequest = (n: number) =>
        fetch(`${bffUrl}/api/sample/me`, {
          headers: { ...API_HEADERS, origin: bffUrl, cookie: `${cookie}; junk${n}=${'x'.repeat(11_000)}` },
        }).then(async (answer) => {
          await answer.arrayBuffer();
          return answer.status;
        });
      const before = bff.runtime.cookies.cacheStats();
      const statuses: number[] = [];
      for (let n = 0; n < 300; n += 30)
        statuses.push(...(await Promise.all(Array.from({ length: 30 }, (_, k) => junkRequest(n + k)))));
      const after = bff.runtime.cookies.cacheStats();
      const grew = { entries: after.entries - before.entries, bytes: after.bytes - before.bytes };
      return statuses.every((status) => status === 200) && grew.entries <= 1 && grew.bytes < 16 * 1024;
    });
  });

  it('stale roles after the issuer removed them', async () => {
    await attack('a role removed at the issuer outlives the access token', async () => {
      const erin = new TestBrowser();
      await signIn(erin, bffUrl, 'erin');
      const roles = async () =>
        (await erin.get(`${bffUrl}/auth/session`, API_HEADERS)).json<{ user: { roles: string[] } }>().user
          .roles;
      const before = await roles();
      idp.updateUser('erin', { roles: [], tenants: [] });
      await sleep(2500);
      await api(erin, '/api/sample/me');
      const after = await roles();
      idp.updateUser('erin', { roles: ['admin'], tenants: [{ id: 'acme', roles: ['org_admin'] }] });
      return before.includes('admin') && after.length === 0;
    });
  });

  it('sessions flooded for one user', async () => {
    await attack('one user opens sessions without bound', async () => {
      const browsers = Array.from({ length: 5 }, () => new TestBrowser());
      for (const browser of browsers) await signIn(browser, bffUrl, 'bob');
      const statuses = await Promise.all(browsers.map(async (b) => (await api(b, '/api/sample/me')).status));
      // The newest three live; the oldest were ended by the newer sign-ins.
      return statuses.filter((status) => status === 200).length === 3;
    });
  });

  it('a logout token replayed', async () => {
    await attack('a back-channel logout token replayed', async () => {
      const carol = new TestBrowser();
      await signIn(carol, bffUrl, 'carol');
      await endIdpSession(carol, idp.issuer);
      for (let waited = 0; logoutBodies.length === 0 && waited < 5000; waited += 50) await sleep(50);
      const [body] = logoutBodies;
      if (!body) return false;
      // The IdP's own delivery ended carol's session; the same token again is refused (its jti was seen).
      const ended = (await api(carol, '/api/sample/me')).status === 401;
      return ended && (await postLogoutToken(body)) === 400;
    });
  });

  describe('logout tokens from the issuer’s own key', () => {
    let dave: TestBrowser;
    const jti = `attack-${Date.now()}`;
    beforeAll(async () => {
      dave = new TestBrowser();
      await signIn(dave, bffUrl, 'dave');
      // The control: a token minted this way, with a fresh jti, is trusted — it ends frank's session. So a
      // refusal below is for the jti, never for the signer.
      const frank = new TestBrowser();
      await signIn(frank, bffUrl, 'frank');
      const control = await postLogout(await mintLogoutToken('user_frank', jti));
      if (control.status !== 200 || (await api(frank, '/api/sample/me')).status !== 401)
        throw new Error(`the minted control token was not honoured (${control.status})`);
    });

    it('a logout token without jti', async () => {
      await attack('a back-channel logout token without jti ends a session', async () => {
        const answer = await postLogout(await mintLogoutToken('user_dave', undefined));
        // 400 in the OAuth error format the standard asks for, and dave's session lives on.
        return (
          answer.status === 400 &&
          answer.body.error === 'invalid_request' &&
          (await api(dave, '/api/sample/me')).status === 200
        );
      });
    });

    it('a new logout token under a jti already used', async () => {
      await attack('a back-channel logout token reusing a seen jti ends a session', async () => {
        const answer = await postLogout(await mintLogoutToken('user_dave', jti));
        return (
          answer.status === 400 &&
          answer.body.error === 'invalid_request' &&
          (await api(dave, '/api/sample/me')).status === 200
        );
      });
    });
  });

  describe('the audit log', () => {
    // The shop's database as its services use it (their role; PGlite in memory, as `npm start` runs it).
    let db: Awaited<ReturnType<typeof openShopDatabase>>;
    beforeAll(async () => {
      db = await openShopDatabase({ memory: true });
    }, 60_000);
    afterAll(() => db?.close());
    const count = () => db.query('SELECT count(*)::int AS n FROM audit.events');

    it.each([
      `UPDATE audit.events SET outcome = 'success', reason = NULL`,
      `DELETE FROM audit.events WHERE tenant = 'acme'`,
      'TRUNCATE audit.events',
    ])('audit log rewrite: %s', async (statement) => {
      await attack(`audit log rewritten by a service: ${statement.split(' ')[0]}`, async () => {
        const before = await count();
        const refused = await db.query(statement).then(
          () => false,
          (error: { code?: string }) => error.code === 'GH_SHOP_DB_PERMISSION_DENIED',
        );
        return refused && JSON.stringify(await count()) === JSON.stringify(before);
      });
    });
  });

  // Last: it spends this address's sign-ins for the window.
  it('login flood from one address', async () => {
    await attack('login flood from one address', async () => {
      const statuses: number[] = [];
      for (let n = 0; n <= LOGIN_LIMIT; n++)
        statuses.push((await new TestBrowser().get(`${bffUrl}/auth/login?returnTo=/`)).status);
      return statuses.includes(429);
    });
  });
});
