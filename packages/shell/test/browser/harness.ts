/// <reference types="node" />
// Test doubles at the browser boundary: a fake BFF (the shell's origin: page, /auth/*, /api/*, /telemetry), a
// remotes origin (a CDN with CORS for the shell) and a third origin that is not allow-listed. The runtime
// under test is the real one, bundled with esbuild, in the system Chromium.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AuthMessage } from '@gatehouse/policy';
import type { RouteDefinition, TelemetryEvent } from '@gatehouse/shell';
import { freePort, launchChromium } from '@gatehouse/testing';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const sha384 = (bytes: Uint8Array) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

/** The demo users the fake BFF knows (docs/http-contract.md#demo-users). */
export const USERS = {
  alice: {
    id: 'user_alice',
    displayName: 'Alice',
    roles: ['customer'],
    permissions: ['orders:view', 'profile:edit', 'checkout:place_order'],
    tenants: [],
    locale: 'en-IN',
    currency: 'INR',
  },
  erin: {
    id: 'user_erin',
    displayName: 'Erin',
    roles: ['admin'],
    permissions: ['users:view'],
    tenants: [
      { id: 'acme', roles: ['org_admin'], permissions: ['users:view', 'billing:edit', 'audit:view'] },
    ],
  },
} as const;
export type UserName = keyof typeof USERS;

interface Session {
  user: UserName;
  expiresAt: number;
  /** What the issuer changed about the user since sign-in (the real BFF learns it at a token refresh). */
  changes?: { roles: readonly string[]; permissions: readonly string[] };
}

/** A static origin serving bundled modules, recording every request. */
export class AssetOrigin {
  readonly files = new Map<string, Uint8Array>();
  readonly requests: string[] = [];
  /** When each request came, in ms since the epoch (same order as `requests`). */
  readonly times: number[] = [];
  /** Paths answered slowly (ms). */
  readonly delays = new Map<string, number>();
  /** Paths answered with one byte changed. */
  readonly tampered = new Set<string>();
  origin = '';
  #server?: Server;

  constructor(private readonly corsFor: () => string) {}

  async listen(): Promise<this> {
    const port = await freePort();
    this.origin = `http://127.0.0.1:${port}`;
    this.#server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', this.origin).pathname;
      this.requests.push(path);
      this.times.push(Date.now());
      const send = () => {
        res.setHeader('access-control-allow-origin', this.corsFor());
        res.setHeader('vary', 'origin');
        res.setHeader('cache-control', 'no-store');
        const file = this.files.get(path);
        if (!file) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        let bytes = file;
        if (this.tampered.has(path)) {
          // One byte, inside a string literal: still valid JavaScript, only the hash tells.
          bytes = Uint8Array.from(file);
          const at = Buffer.from(file).indexOf('guest') + 1 || Buffer.from(file).indexOf('chunked') + 1;
          bytes[at] = (bytes[at] ?? 0) ^ 0x20;
        }
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bytes);
      };
      const delay = this.delays.get(path);
      if (delay) setTimeout(send, delay);
      else send();
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    return this;
  }

  close(): Promise<void> {
    this.#server?.closeAllConnections();
    return new Promise((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

/** Options of the page the fake BFF serves. */
export interface PageOptions {
  /** Inline the identity in the page (the BFF's way); otherwise the runtime calls `GET /auth/session`. */
  inlineIdentity: boolean;
  /** The CSP's `trusted-types` policy names; `gatehouse` by default. */
  trustedTypes: string;
  /** Delay of `GET /auth/session`, in ms. */
  sessionDelayMs: number;
  /** Serve the push channel (`GET /auth/events`); without it, 404. */
  push: boolean;
}

/** The fake BFF on the shell's origin. */
export class FakeBff {
  readonly sessions = new Map<string, Session>();
  readonly requests: string[] = [];
  readonly telemetry: TelemetryEvent[] = [];
  /** `returnTo` of each `GET /auth/login`, decoded. */
  readonly logins: string[] = [];
  /** Each `GET /auth/login` as the browser sent it: path and query, still encoded. */
  readonly loginUrls: string[] = [];
  readonly streams = new Map<ServerResponse, string>();
  /** API paths whose answer waits for this promise; the session is looked at once it settles. */
  readonly holds = new Map<string, Promise<unknown>>();
  eventStreamsOpened = 0;
  /** When `GET /auth/session` last answered, in ms since the epoch. */
  sessionAnsweredAt = 0;
  /**
   * The session store cannot be reached (a Redis failover): like the real BFF, every call that needs a
   * session answers 503 `store_unavailable`, and no session is lost.
   */
  storeDown = false;
  origin = '';
  page: PageOptions = { inlineIdentity: true, trustedTypes: 'gatehouse', sessionDelayMs: 0, push: true };
  #server?: Server;

  constructor(
    private readonly app: () => Uint8Array,
    private readonly config: () => unknown,
  ) {}

  async listen(): Promise<this> {
    const port = await freePort();
    this.origin = `http://127.0.0.1:${port}`;
    this.#server = createServer((req, res) => {
      void this.#handle(req, res).catch((error: unknown) => {
        console.error(error);
        res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    return this;
  }

  close(): Promise<void> {
    for (const stream of this.streams.keys()) stream.end();
    this.#server?.closeAllConnections();
    return new Promise((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  /** Signs `user` in for `context` (as a finished login would): a new session and its HttpOnly cookie. */
  async signIn(context: BrowserContext, user: UserName, expiresInMs = 3_600_000): Promise<string> {
    const sid = randomBytes(16).toString('hex');
    this.sessions.set(sid, { user, expiresAt: Date.now() + expiresInMs });
    await context.addCookies([
      { name: 'sid', value: sid, url: this.origin, httpOnly: true, sameSite: 'Lax' },
    ]);
    return sid;
  }

  /**
   * Sends an `auth` event on every open push stream of `sid`; like the real BFF, the end of the session
   * (`logged-out`, `session-expired`) ends the stream. Typed as the BFF's own messages, so a test cannot push
   * a word the real BFF never sends.
   */
  push(sid: string, message: AuthMessage): number {
    let sent = 0;
    for (const [stream, owner] of this.streams)
      if (owner === sid) {
        stream.write(`event: auth\ndata: ${JSON.stringify(message)}\n\n`);
        if (message.type === 'logged-out' || message.type === 'session-expired') stream.end();
        sent++;
      }
    return sent;
  }

  /**
   * The issuer changed the user's roles (as the real BFF finds at a token refresh): `GET /auth/session` answers
   * the new ones from now on, and the session's push streams get `identity-changed`.
   */
  changeIdentity(sid: string, changes: NonNullable<Session['changes']>): number {
    const session = this.sessions.get(sid);
    if (session) session.changes = changes;
    return this.push(sid, { type: 'identity-changed' });
  }

  // Like the real BFF: each stream checks its session at the expiry, without touching it.
  #watch(sid: string) {
    const session = this.sessions.get(sid);
    if (!session) return;
    const timer = setTimeout(
      () => {
        const now = this.sessions.get(sid);
        if (now && now.expiresAt > Date.now()) this.#watch(sid);
        else if (now) {
          this.sessions.delete(sid);
          this.push(sid, { type: 'session-expired' });
        }
      },
      Math.max(50, session.expiresAt - Date.now() + 50),
    );
    timer.unref();
  }

  /** Ends a session server-side; its push streams close (the reconnect will get 401). */
  endSession(sid: string, closeStreams = true): void {
    this.sessions.delete(sid);
    if (closeStreams) this.dropStreams(sid);
  }

  /** Closes the push streams of `sid`, the session kept (the browser reconnects). */
  dropStreams(sid: string): void {
    for (const [stream, owner] of this.streams) if (owner === sid) stream.end();
  }

  identity(sid: string | undefined) {
    const session = sid ? this.sessions.get(sid) : undefined;
    if (!session || session.expiresAt <= Date.now()) return { isAuthenticated: false };
    return {
      isAuthenticated: true,
      user: { ...USERS[session.user], ...session.changes },
      session: { expiresAt: new Date(session.expiresAt).toISOString() },
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}`);
    const sid = /(?:^|;\s*)sid=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1];
    const identity = this.identity(sid);
    const json = (status: number, body: unknown, type = 'application/json') =>
      void res
        .writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
        .end(JSON.stringify(body));
    const problem = (status: number, code: string) =>
      json(status, { type: 'about:blank', title: code, status, code }, 'application/problem+json');
    const body = async () => {
      let text = '';
      for await (const chunk of req) text += chunk;
      return text ? JSON.parse(text) : undefined;
    };
    if (req.method !== 'GET' && req.headers['x-csrf'] !== '1') return problem(403, 'csrf_failed');

    if (
      this.storeDown &&
      (path.startsWith('/api/') || ['/auth/session', '/auth/session/extend', '/auth/events'].includes(path))
    )
      return problem(503, 'store_unavailable');
    if (path === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(this.app());
      return;
    }
    if (path === '/favicon.ico') return void res.writeHead(404).end();
    if (path === '/auth/session') {
      await new Promise((resolve) => setTimeout(resolve, this.page.sessionDelayMs));
      this.sessionAnsweredAt = Date.now();
      return json(200, this.identity(sid));
    }
    if (path === '/auth/login') {
      this.logins.push(url.searchParams.get('returnTo') ?? '');
      this.loginUrls.push(req.url ?? '');
      return void res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><h1>Identity provider</h1>');
    }
    if (path === '/auth/logout' && req.method === 'POST') {
      if (sid) this.endSession(sid);
      return json(200, { redirectTo: '/' });
    }
    if (path === '/auth/session/extend' && req.method === 'POST') {
      const session = sid ? this.sessions.get(sid) : undefined;
      if (!session || !identity.isAuthenticated) return problem(401, 'session_expired');
      session.expiresAt = Date.now() + 3_600_000;
      this.push(sid!, { type: 'session-extended', expiresAt: new Date(session.expiresAt).toISOString() });
      return json(200, this.identity(sid));
    }
    if (path === '/auth/events') {
      if (!this.page.push) return problem(404, 'not_found');
      if (!sid || !identity.isAuthenticated) return problem(401, 'unauthenticated');
      this.#watch(sid);
      this.eventStreamsOpened++;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('retry: 300\n: connected\n\n');
      this.streams.set(res, sid);
      res.on('close', () => this.streams.delete(res));
      return;
    }
    if (path === '/telemetry' && req.method === 'POST') {
      this.telemetry.push(...((await body())?.events ?? []));
      return void res.writeHead(202).end();
    }
    if (path.startsWith('/api/')) {
      await this.holds.get(path);
      if (!this.identity(sid).isAuthenticated)
        return problem(401, sid ? 'session_expired' : 'unauthenticated');
      if (path === '/api/orders') return json(200, [{ id: 'order_123', ownerId: 'user_alice', total: 42 }]);
      if (path === '/api/orders/order_123')
        return json(200, { id: 'order_123', ownerId: 'user_alice', total: 42 });
      if (path === '/api/orders/order_456') return problem(403, 'forbidden');
      // An upstream's own 401s, passed through by the BFF: @gatehouse/api refusing the token, and a plain one.
      if (path === '/api/reports/token-refused') {
        res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
        return problem(401, 'unauthenticated');
      }
      if (path === '/api/reports/plain-401') return void res.writeHead(401).end('Unauthorized');
      return problem(404, 'not_found');
    }
    if (path.startsWith('/auth/') || path.startsWith('/api/')) return problem(404, 'not_found');

    // Any other GET: the shell page, with a fresh nonce and a strict CSP like the BFF's htmlHeaders().
    const nonce = randomBytes(16).toString('base64');
    const script = (id: string, value: unknown) =>
      `<script type="application/json" id="${id}">${JSON.stringify(value).replaceAll('<', '\\u003c')}</script>`;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': [
        `default-src 'self'`,
        `script-src 'nonce-${nonce}' 'strict-dynamic'`,
        `connect-src 'self'`,
        `object-src 'none'`,
        `base-uri 'none'`,
        `frame-ancestors 'none'`,
        `require-trusted-types-for 'script'`,
        `trusted-types ${this.page.trustedTypes}`,
      ].join('; '),
      'x-content-type-options': 'nosniff',
    });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>shell</title>
${this.page.inlineIdentity ? script('gatehouse-identity', identity) : ''}
${script('test-config', this.config())}
</head><body><header id="header"></header><main id="outlet"></main>
<script type="module" nonce="${nonce}" src="/app.js"></script></body></html>`);
  }
}

/** Builds the page script and the fixture remotes, starts the three origins. */
export async function startServers() {
  const bundle = async (entry: string, extra: Parameters<typeof build>[0] = {}) => {
    const result = await build({
      entryPoints: [here(entry)],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['gatehouse-source'],
      write: false,
      logLevel: 'silent',
      outdir: '/out',
      ...extra,
    });
    return result.outputFiles ?? [];
  };
  const [app] = await bundle('./app.ts');
  const [greeter] = await bundle('./remotes/greeter.ts');
  const [header] = await bundle('./remotes/header.ts');
  const [throws] = await bundle('./remotes/throws.ts');
  const [token] = await bundle('./remotes/token.ts');
  const [account] = await bundle('./remotes/account.ts');
  const [orders] = await bundle('../../../remote/test/example/orders-remote.ts');
  const chunked = await bundle('./remotes/chunked.ts', { splitting: true, chunkNames: 'chunk-[hash]' });

  let bff: FakeBff;
  const cdn = await new AssetOrigin(() => bff.origin).listen();
  const evil = await new AssetOrigin(() => bff.origin).listen();
  const serve = (origin: AssetOrigin, path: string, bytes: Uint8Array) => {
    origin.files.set(path, bytes);
    return { entry: `${origin.origin}${path}`, integrity: sha384(bytes) };
  };
  const remote = (name: string, path: string, bytes: Uint8Array, extra: object = {}, origin = cdn) => ({
    name,
    version: '1.0.0',
    ...serve(origin, path, bytes),
    ...extra,
  });
  const chunkModules: Record<string, string> = {};
  let chunkedEntry: Uint8Array | undefined;
  for (const file of chunked) {
    const name = file.path.split('/').at(-1)!;
    if (name === 'chunked.js') chunkedEntry = file.contents;
    else
      Object.assign(chunkModules, {
        [serve(cdn, `/chunked/${name}`, file.contents).entry]: sha384(file.contents),
      });
  }
  const remotes = [
    remote('home', '/home.js', greeter!.contents),
    remote('header', '/header.js', header!.contents),
    remote('orders', '/orders.js', orders!.contents, { auth: 'required', permissions: ['orders:view'] }),
    remote('admin', '/admin.js', greeter!.contents, { roles: ['admin'] }),
    remote('throws', '/throws.js', throws!.contents),
    { ...remote('missing', '/missing.js', greeter!.contents) },
    remote('tampered', '/tampered.js', greeter!.contents),
    remote('slow', '/slow.js', greeter!.contents),
    remote('token', '/token.js', token!.contents),
    remote('account', '/account.js', account!.contents),
    remote('chunked', '/chunked/chunked.js', chunkedEntry!, { modules: chunkModules }),
    remote('evil', '/evil.js', greeter!.contents, {}, evil),
    // The account remote's code again, held to the upstreams it declares (`@gatehouse/shell/upstreams`).
    remote('held', '/held.js', account!.contents, { upstreams: ['reports'] }),
    remote('allowed', '/allowed.js', account!.contents, { upstreams: ['orders', 'reports'] }),
    remote('badlist', '/badlist.js', account!.contents, { upstreams: ['Orders!'] }),
  ];
  cdn.files.delete('/missing.js');
  cdn.tampered.add('/tampered.js');
  cdn.delays.set('/slow.js', 4000);
  const routes: RouteDefinition[] = [
    { path: '/', remote: 'home' },
    { path: '/product/:id', remote: 'home' },
    {
      path: '/orders',
      remote: 'orders',
      auth: 'required',
      permissions: ['orders:view'],
      children: [{ path: ':id' }],
    },
    { path: '/admin', remote: 'admin', roles: ['admin'] },
    { path: '/token', remote: 'token' },
    { path: '/account', remote: 'account', children: [{ path: ':id' }] },
    { path: '/chunked', remote: 'chunked' },
    { path: '/held', remote: 'held', children: [{ path: ':id' }] },
    { path: '/allowed', remote: 'allowed', children: [{ path: ':id' }] },
    ...['throws', 'missing', 'tampered', 'slow', 'evil', 'badlist'].map((name) => ({
      path: `/broken/${name}`,
      remote: name,
    })),
  ];
  const config = { remotes, routes, allowedOrigins: [cdn.origin], timeoutMs: 1500, warnBeforeMs: 2000 };
  bff = await new FakeBff(
    () => app!.contents,
    () => config,
  ).listen();
  return {
    bff,
    cdn,
    evil,
    config,
    async close() {
      await Promise.all([bff.close(), cdn.close(), evil.close()]);
    },
  };
}

/** Opens `path` of the shell and waits for `start()` to settle. Console errors are collected. */
export async function openShell(context: BrowserContext, origin: string, path = '/'): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(`${origin}${path}`);
  await page.waitForFunction(() => window.gatehouseTest !== undefined);
  await page.evaluate(() => window.gatehouseTest.started);
  return page;
}

/** The text of the outlet (`#outlet`) or header region. */
export const text = (page: Page, selector = '#outlet') => page.textContent(selector).then((t) => t ?? '');

/** The kind of shell view the region shows, if it shows one. */
export const viewIn = (page: Page, selector = '#outlet') =>
  page.evaluate(
    (s) => document.querySelector(`${s} [data-gatehouse-view]`)?.getAttribute('data-gatehouse-view') ?? null,
    selector,
  );

/**
 * The fake BFF, the CDN and one Chromium for a test file, and fresh browser contexts closed after each test.
 * Call it inside a `describe`.
 */
export function useShellBrowser() {
  let servers: Awaited<ReturnType<typeof startServers>> | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const closeContexts = () => Promise.all(contexts.splice(0).map((context) => context.close()));
  beforeAll(async () => {
    servers = await startServers();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });
  afterEach(closeContexts);
  // A test that failed with the store down leaves it up for the next one.
  afterEach(() => {
    if (servers) servers.bff.storeDown = false;
  });
  return {
    get servers() {
      return servers!;
    },
    /** A fresh context (its own cookies), closed after the test. */
    async newContext(): Promise<BrowserContext> {
      const context = await browser!.newContext();
      contexts.push(context);
      return context;
    },
    /** Closes this test's contexts now (their pages flush what they hold), as after each test. */
    closeContexts,
    /** How many push streams of session `sid` are open. */
    streamsOf: (sid: string) => [...servers!.bff.streams.values()].filter((owner) => owner === sid).length,
  };
}
