import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionRecord } from '@gatehouse/bff';
import { type RunningShop, startShop } from '@gatehouse/example-shop';
import { describeWith, findJwts, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HostEvent, startWebKitHost, type WebKitHost } from './webkit-host.js';

const FREE = { bff: 0, idp: 0, remotes: 0, catalog: 0, cart: 0, checkout: 0, orders: 0, profile: 0, org: 0 };

let shop: RunningShop;
let host: WebKitHost;
let browser: Browser;
let frameServer: Server;
let framePort: number;
/** The host's local origin: fixed before the shop starts, whose remotes origin answers CORS for it. */
let appPort: number;
let files: string;
/** Every session id and token the BFF's store was given: none may reach the WebView or the bridge. */
const secrets = new Set<string>();

/**
 * Runs in the page before each command's body (the WebView's main world, as the user's taps would): waits
 * for the shop's UI and drives it. `fill` sets a React-controlled input the way typing does.
 */
const UI = `const until = async (check, what, ms = 20000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const value = check();
    if (value) return value;
  }
  throw new Error('the page did not show ' + what + ': ' + document.querySelector('main')?.innerText.slice(0, 1500));
};
const waitFor = (selector, ms) => until(() => document.querySelector(selector), selector, ms);
const text = async (selector) => (await waitFor(selector)).textContent;
const click = async (selector) => (await waitFor(selector)).click();
const fill = async (selector, value) => {
  const input = await waitFor(selector);
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value').set.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
};
`;

/** The page the app ships itself, at its own origin, with an iframe of another origin in it. */
const attackPage = (port: number) => `<!doctype html><title>local</title>
<script>
  window.frameSaid = [];
  addEventListener('message', (event) => { if (event.data && event.data.fromFrame) window.frameSaid.push(event.data.fromFrame); });
</script>
<iframe src="http://127.0.0.1:${port}/frame.html"></iframe>`;

/** The iframe of another origin: it asks the top window's relay, and tries the handler itself. */
const FRAME = `<!doctype html><script>
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => parent.postMessage({ fromFrame: { answer: event.data } }, '*');
  parent.postMessage({ gatehouse: { kind: 'request', method: 'GET', path: '/api/profile', headers: {}, body: null } }, '*', [channel.port2]);
  parent.postMessage({ fromFrame: { handler: typeof (window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.gatehouse) } }, '*');
</script>`;

/** Sends one raw message through the relay from the page, as a script of the app's page could. */
const RAW_SEND = `const send = (message) => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(event.data);
  window.postMessage({ gatehouse: message }, location.origin, [channel.port2]);
});`;

/** The delivery address typed at checkout (as the Chromium journeys type it). */
const ADDRESS = {
  name: 'Alice Iyer',
  phone: '98450 12345',
  line1: '12 MG Road',
  city: 'Bengaluru',
  state: 'Karnataka',
  postalCode: '560001',
};

/**
 * The system browser's part: opens the URL the host printed and signs in at the dev IdP's form. Answers the
 * loopback redirect it followed (with the code).
 */
async function signInExternally(
  user: string,
  since: number,
  securityCode?: string,
  kept?: BrowserContext,
): Promise<URL> {
  const opened = await host.waitFor((event) => event.event === 'open-browser', since);
  const context = kept ?? (await browser.newContext());
  const page = await context.newPage();
  let redirected: URL | undefined;
  page.on('request', (request) => {
    if (request.url().includes('/signed-in?')) redirected = new URL(request.url());
  });
  await page.goto(String(opened.url));
  await page.fill('input[name=login]', user);
  await page.fill('input[name=password]', user);
  if (securityCode !== undefined) await page.fill('input[name=code]', securityCode);
  await page.click('[type=submit]');
  await page.waitForURL(/127\.0\.0\.1:\d+\/signed-in/);
  expect(await page.textContent('body')).toContain('Signed in');
  if (kept) await page.close();
  else await context.close();
  if (!redirected) throw new Error('the sign-in did not come back to the loopback redirect');
  return redirected;
}

/** `POST /auth/native/token` as someone holding `code` would. */
const redeem = (code: string, verifier: string, redirectUri: string) =>
  fetch(`${shop.urls.shop}/auth/native/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
    }),
  });

/** The bridge traffic the host recorded from `since` on. */
const bridgeEvents = (since = 0) => host.events.slice(since).filter((event) => event.event === 'bridge');
const answerTo = (path: string, since = 0) =>
  bridgeEvents(since).find((event) => (event.message as { path?: string }).path === path)?.answer as
    | { status: number; body: string }
    | undefined;

await describeWith(['webkit', 'chromium'], 'a hybrid app in the WebKitGTK host', () => {
  beforeAll(async () => {
    appPort = await freePort();
    shop = await startShop({
      ports: FREE,
      memory: true,
      logLevel: 'silent',
      appOrigins: [`http://127.0.0.1:${appPort}`],
      bff: { nativeRedirectUris: ['http://127.0.0.1/signed-in'] },
    });
    // Watch what the store is given (the real store, unchanged): the leak scan looks for all of it.
    const store = shop.bff.runtime.store;
    const create = store.create.bind(store);
    store.create = (id: string, record: SessionRecord, ttlMs: number, limits) => {
      secrets.add(id);
      for (const token of [record.tokens.accessToken, record.tokens.refreshToken, record.tokens.idToken])
        if (token) secrets.add(token);
      return create(id, record, ttlMs, limits);
    };
    framePort = await freePort();
    frameServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(FRAME);
    });
    await new Promise<void>((resolve) => frameServer.listen(framePort, '127.0.0.1', resolve));
    files = mkdtempSync(join(tmpdir(), 'gatehouse-app-files-'));
    writeFileSync(join(files, 'attack.html'), attackPage(framePort));
    browser = await launchChromium();
    host = await startWebKitHost(shop.urls.shop, {
      GATEHOUSE_APP_FILES: files,
      GATEHOUSE_APP_PORT: String(appPort),
    });
  }, 300_000);

  afterAll(async () => {
    await host?.close();
    await browser?.close();
    await new Promise((resolve) => frameServer?.close(resolve));
    await shop?.close();
    if (files) rmSync(files, { recursive: true, force: true });
  }, 60_000);

  /** Runs `body` in the page with the {@link UI} helpers. */
  const ui = <T = unknown>(body: string) => host.evaluate<T>(`${UI}${body}`, 40_000);

  /** Loads `path` of the app in the WebView (the host renders it by the BFF with the handle). */
  async function open(path: string): Promise<void> {
    const since = host.events.length;
    await host.evaluate(`location.assign(${JSON.stringify(path)}); return null;`);
    await host.waitFor((event) => event.event === 'loaded' && String(event.uri).endsWith(path), since);
  }

  /**
   * Signs `user` in from the shop's own "Sign in" (the shell's login(), which the host turns into the system
   * browser's sign-in), or from `path` when given; waits for the shop to be back there, with the user's name.
   */
  async function signInToApp(user: string, path?: string, kept?: BrowserContext): Promise<void> {
    const since = host.events.length;
    if (path === undefined) await ui(`await click('[data-testid=sign-in]'); return null;`);
    else
      await host.evaluate(
        `location.assign('/auth/login?returnTo=' + encodeURIComponent(${JSON.stringify(path)})); return null;`,
      );
    await signInExternally(user, since, undefined, kept);
    await host.waitFor((event) => event.event === 'signed-in', since);
    await host.waitFor((event) => event.event === 'loaded', since);
    const name = user[0]!.toUpperCase() + user.slice(1);
    await ui(
      `await until(() => document.querySelector('[data-testid=user-name]')?.textContent === ${JSON.stringify(name)}, 'the user name'); return null;`,
    );
  }

  it('sign-in through the external browser lands the user in the shop, and the profile page works over the bridge', async () => {
    await host.waitFor((event) => event.event === 'loaded', 0);
    // The shop's own shell, anonymous: its home remote is there, from the remotes origin.
    await ui(
      `await waitFor('[data-gatehouse-remote=home]'); await waitFor('[data-testid=sign-in]'); return null;`,
    );
    await signInToApp('alice');
    const since = host.events.length;
    await open('/profile');
    // Her profile, read over the bridge, in the shop's profile form.
    expect(
      await ui<string>(
        `return (await until(() => document.querySelector('#profile-name')?.value, 'her name')).trim();`,
      ),
    ).toBe('Alice');
    expect(answerTo('/api/profile', since)?.status).toBe(200);
    // The account page's list of her sessions crosses the bridge too: the app's own session, marked current.
    expect(
      await ui<boolean>(
        `return Boolean(await until(() => document.querySelector('[data-testid=session-row][data-current=true]'), 'her session'));`,
      ),
    ).toBe(true);
    expect(answerTo('/auth/sessions', since)?.status).toBe(200);
    // The WebView never navigated to the issuer or the BFF's login: the host's local origin only.
    const loads = host.events
      .filter((event: HostEvent) => event.event === 'loaded')
      .map((event) => String(event.uri));
    expect(loads.every((uri) => uri.startsWith(`http://127.0.0.1:${appPort}/`))).toBe(true);
  }, 120_000);

  it('orders over the bridge: hers listed and shown, no access to another user’s (403), not found for none (404)', async () => {
    let since = host.events.length;
    await open('/orders');
    await ui(`await waitFor('[data-testid=order-row][data-order-id=order_123]'); return null;`);
    await open('/orders/order_123');
    expect(await ui<string>(`return await text('[data-testid=order-detail] h1');`)).toBe('Order order_123');
    expect(answerTo('/api/orders/order_123', since)?.status).toBe(200);
    since = host.events.length;
    await open('/orders/order_456');
    await ui(`await waitFor('[data-testid=order-error] [data-view=no-access]'); return null;`);
    expect(answerTo('/api/orders/order_456', since)?.status).toBe(403);
    // Signed in, not allowed: the shell stays, and still knows her.
    expect(await ui<string>(`return await text('[data-testid=user-name]');`)).toBe('Alice');
    since = host.events.length;
    await open('/orders/order_none');
    await ui(`await waitFor('[data-testid=order-error] [data-view=not-found]'); return null;`);
    expect(answerTo('/api/orders/order_none', since)?.status).toBe(404);
  }, 60_000);

  it('checkout over the bridge: add to cart, the address, place the order; it is in her orders', async () => {
    await open('/product/prod_book_godaan');
    await ui(
      `await click('[data-testid=add-to-cart]'); await waitFor('[data-testid=cart-count]'); return null;`,
    );
    await open('/checkout');
    const fields = Object.entries(ADDRESS)
      .map(([field, value]) => `await fill('#address-${field}', ${JSON.stringify(value)});`)
      .join('\n');
    const orderId = await ui<string>(`await waitFor('[data-testid=checkout]');
      ${fields}
      // As a user would: the order is placed once the page says the address and the payment method are
      // fine (the methods arrive over the bridge after the form: a click before that only marks the form).
      await until(() => {
        const checks = document.querySelector('[data-testid=checkout-checks]')?.textContent ?? '';
        return checks.includes('We deliver to this address') && checks.includes('can pay for this order');
      }, 'the address and the payment method accepted');
      await click('[data-testid=place-order]');
      return await text('[data-testid=order-placed] strong.mono');`);
    expect(orderId).toMatch(/^order_/);
    await open('/orders');
    await ui(`await waitFor('[data-testid=order-row][data-order-id="${orderId}"]'); return null;`);
  }, 60_000);

  it('the leak scan finds no token and no handle in the WebView or in the bridge messages', async () => {
    const surfaces = await host.evaluate<Record<string, string>>(`
      const globals = {};
      for (const name of Object.getOwnPropertyNames(window)) {
        try { const value = window[name]; if (typeof value === 'string') globals[name] = value; } catch {}
      }
      const storage = (s) => JSON.stringify(Object.fromEntries(Object.keys(s).map((k) => [k, s.getItem(k)])));
      return {
        globals: JSON.stringify(globals),
        text: document.body.innerText,
        local: storage(localStorage),
        session: storage(sessionStorage),
        cookie: document.cookie,
        html: document.documentElement.outerHTML,
      };`);
    const jar = await host.cookies();
    const bridge = JSON.stringify(bridgeEvents());
    const everything = [...Object.values(surfaces), jar.join('\n'), bridge].join('\n');
    expect(secrets.size).toBeGreaterThanOrEqual(3);
    expect(surfaces.cookie).toBe('');
    expect(jar).toEqual([]);
    expect(bridgeEvents().length).toBeGreaterThan(5);
    for (const secret of secrets) expect(everything.includes(secret), 'a session id or token').toBe(false);
    expect(findJwts(everything)).toEqual([]);
    expect(everything).not.toMatch(/__Host-Http-gatehouse=|access_token|refresh_token|Bearer /);
  }, 60_000);

  it('a CSP violation in the WebView reaches the BFF’s report endpoint through the host', async () => {
    await open('/');
    const since = host.events.length;
    // `eval` is not allowed by the page's CSP: WebKit reports it to the page's Reporting-Endpoints (/reports of
    // the app's origin), which the host relays to the BFF.
    expect(await host.evaluate(`try { eval('1'); return 'ran'; } catch { return 'refused'; }`)).toBe(
      'refused',
    );
    const relayed = await host.waitFor(
      (event) => event.event === 'app' && event.path === '/reports',
      since,
      20_000,
    );
    expect(relayed.status).toBe(204);
  }, 60_000);

  it('refuses a message from an iframe of another origin, a path outside the allow-list and an oversized body', async () => {
    const since = host.events.length;
    await host.evaluate(`location.assign('/local/attack.html'); return null;`);
    await host.waitFor(
      (event) => event.event === 'loaded' && String(event.uri).endsWith('attack.html'),
      since,
    );
    const said = await host.evaluate<{ answer?: { status: number }; handler?: string }[]>(`
      for (let i = 0; i < 100 && window.frameSaid.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      return window.frameSaid;`);
    expect(said).toContainEqual({ handler: 'undefined' });
    expect(said.find((entry) => entry.answer)?.answer?.status).toBe(403);
    await host.waitFor(
      (event) => event.event === 'refused' && event.reason === 'frame' && event.mainFrame === false,
      since,
    );

    const answers = await host.evaluate<{ status: number }[]>(`${RAW_SEND}
      return [
        await send({ kind: 'request', method: 'POST', path: '/auth/native/token', headers: {}, body: null }),
        await send({ kind: 'request', method: 'GET', path: '/admin', headers: {}, body: null }),
        await send({ kind: 'request', method: 'POST', path: '/api/cart/items', headers: {}, body: 'x'.repeat(300000) }),
        await send({ kind: 'request', method: 'GET', path: '/api/profile', headers: { cookie: 'x=1' }, body: null }),
        await send({ kind: 'request', method: 'GET', path: '/api/profile', headers: {}, body: null }),
      ];`);
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 413, 403, 200]);
    const reasons = host.events
      .slice(since)
      .filter((event) => event.event === 'refused')
      .map((event) => event.reason);
    expect(reasons).toEqual([
      'frame',
      'path_not_allowed',
      'path_not_allowed',
      'body_too_large',
      'header_not_allowed',
    ]);
  }, 60_000);

  it('a back-channel logout reaches the app over the host’s push relay: the orders remote drops what it showed', async () => {
    await signInToApp('alice', '/orders');
    await ui(`await waitFor('[data-testid=order-row][data-order-id=order_123]'); return null;`);
    await host.waitFor((event) => event.event === 'push' && event.status === 200, 0);
    const since = host.events.length;
    // The issuer ends alice's sessions: the BFF hears it server to server and tells the push channels.
    const ended = await shop.bff.runtime.sessions.endBySub(
      shop.idp.issuer,
      'user_alice',
      'backchannel_logout',
    );
    expect(ended).toBeGreaterThan(0);
    await host.waitFor((event) => event.event === 'push-message', since);
    await host.waitFor((event) => event.event === 'signed-out', since);
    // Without a reload: the shell's signed-out view replaces the remote, and no order is left on the page.
    const after = await ui<{ rows: number; main: string; navigated: boolean }>(`
      await waitFor('[data-gatehouse-view=signed-out]');
      await waitFor('[data-testid=sign-in]');
      return {
        rows: document.querySelectorAll('[data-testid=order-row]').length,
        main: document.querySelector('main').textContent,
        navigated: location.pathname !== '/orders',
      };`);
    expect(after).toEqual({ rows: 0, main: expect.not.stringContaining('order_123'), navigated: false });
    expect(host.events.slice(since).filter((event) => event.event === 'loaded')).toEqual([]);
  }, 120_000);

  it('a user logout from the shop’s account menu clears the remotes’ state, the host forgets the handle and opens the issuer’s sign-out in the system browser', async () => {
    // The system browser keeps the issuer's session (its cookie) from this sign-in.
    const system = await browser.newContext();
    await signInToApp('alice', '/orders', system);
    const issuerCookies = async () =>
      (await system.cookies(shop.urls.idp))
        .map((cookie) => cookie.name)
        .filter((name) => name.startsWith('_session'));
    expect(await issuerCookies()).not.toEqual([]);
    await ui(`await waitFor('[data-testid=order-row][data-order-id=order_123]'); return null;`);
    const since = host.events.length;
    await ui(`await click('[data-testid=account-button]');
      const signOut = await until(() => [...document.querySelectorAll('[role=menuitem]')].find((item) => item.textContent.trim() === 'Sign out'), 'Sign out');
      setTimeout(() => signOut.click(), 0);
      return null;`);
    await host.waitFor((event) => event.event === 'signed-out', since);
    // The host reports the bridge's answer and its own sign-out separately: either may come first.
    await host.waitFor(
      (event) => event.event === 'bridge' && (event.message as { path?: string }).path === '/auth/logout',
      since,
    );
    expect(answerTo('/auth/logout', since)?.status).toBe(200);
    // Home (the issuer's sign-out page is for the system browser), anonymous.
    await host.waitFor(
      (event) => event.event === 'loaded' && String(event.uri).endsWith(`:${appPort}/`),
      since,
    );
    const home = await ui<{ rows: number; named: number }>(`await waitFor('[data-testid=sign-in]');
      return { rows: document.querySelectorAll('[data-testid=order-row]').length, named: document.querySelectorAll('[data-testid=user-name]').length };`);
    expect(home).toEqual({ rows: 0, named: 0 });
    const after = await host.evaluate<{ status: number }>(`${RAW_SEND}
      return await send({ kind: 'request', method: 'GET', path: '/api/orders', headers: {}, body: null });`);
    expect(after.status).toBe(401);
    // The issuer's session ends in the system browser, where it lives: the host opened the BFF's sign-out
    // there, which (its cookie went to the host, not to this browser) sends it to the issuer's end-session
    // page with the client's id; the user confirms.
    const signOut = await host.waitFor((event) => event.event === 'sign-out-browser', since);
    expect(signOut.url).toBe(`${shop.urls.shop}/auth/logout/end`);
    const page = await system.newPage();
    await page.goto(String(signOut.url));
    expect(new URL(page.url()).origin).toBe(new URL(shop.urls.idp).origin);
    await page.click('button[name=logout][value=yes]');
    await page.waitForLoadState();
    expect(await issuerCookies()).toEqual([]);
    await system.close();
  }, 120_000);

  it('a remote the BFF serves behind the session: an admin gets its code through the host’s relay, a customer neither the remote nor its code', async () => {
    const pathOf = (name: string) =>
      new URL(shop.web.built.remotes.find((remote) => remote.name === name)!.entry).pathname;
    const admin = pathOf('admin');
    const org = pathOf('org');
    /** The app origin's answer to `path`, fetched by the page itself (the WebView sends no credential). */
    const fetchInPage = (path: string) =>
      host.evaluate<{ status: number; type: string }>(
        `const r = await fetch(${JSON.stringify(path)}); return { status: r.status, type: r.headers.get('content-type') };`,
      );
    /** The host's relays of `path` from `since` on, as `{ path, status }`. */
    const relays = (path: string, since: number) =>
      host.events.slice(since).filter((event) => event.event === 'app' && event.path === path);
    // Signed out (the test before signed her out): the BFF refuses the code to the relay without a handle.
    await open('/');
    expect((await fetchInPage(admin)).status).toBe(401);

    let since = host.events.length;
    await signInToApp('erin', '/admin');
    await ui(`await waitFor('[data-testid=admin-users]'); return null;`);
    expect(
      await ui<number>(`return document.querySelectorAll('[data-testid=admin-user]').length;`),
    ).toBeGreaterThanOrEqual(6);
    // Its code came from the app's own origin, where the host relayed it to the BFF with her handle.
    expect(relays(admin, since).map((event) => event.status)).toContain(200);
    const loaded = await host.evaluate<string[]>(
      `return performance.getEntriesByType('resource').map((entry) => entry.name).filter((name) => name.includes('/remotes/'));`,
    );
    expect(loaded).toContain(`http://127.0.0.1:${appPort}${admin}`);
    expect(loaded.filter((url) => url.startsWith(shop.urls.shop))).toEqual([]);
    // The org remote too (a tenant member's), at a nested route of her organisation.
    since = host.events.length;
    await open('/org/acme/audit-logs');
    await ui(
      `await waitFor('[data-testid=org-audit]'); await waitFor('[data-testid=audit-entry]'); return null;`,
    );
    expect(relays(org, since).map((event) => event.status)).toContain(200);

    // Alice has no admin role: the page does not name the remote, the shell shows no access, and the relay
    // gets a 403 from the BFF, not the code.
    since = host.events.length;
    await signInToApp('alice', '/admin');
    await ui(`await waitFor('[data-gatehouse-view=no-access]'); return null;`);
    const page = await host.evaluate<{ admin: number; named: boolean }>(
      `return { admin: document.querySelectorAll('[data-testid=admin]').length, named: document.documentElement.outerHTML.includes('/remotes/admin/') };`,
    );
    expect(page).toEqual({ admin: 0, named: false });
    expect(relays(admin, since)).toEqual([]);
    expect(await fetchInPage(admin)).toEqual({ status: 403, type: expect.stringMatching(/problem\+json/) });
    // Nor does the app's origin answer what only crosses the bridge.
    expect((await fetchInPage('/auth/session')).status).toBe(404);
  }, 180_000);

  it('step-up in the WebView: a large order asks for the security code in the system browser, then is placed once, its form kept at the BFF over the bridge', async () => {
    await signInToApp('bob', '/checkout');
    const added = await host.evaluate<{ status: number }>(`${RAW_SEND}
      return await send({ kind: 'request', method: 'POST', path: '/api/cart/items',
        headers: { 'x-csrf': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ productId: 'prod_saree', quantity: 3 }) });`);
    expect(added.status).toBe(200);
    await open('/checkout');
    const fields = Object.entries({ ...ADDRESS, name: 'Bob Menon', line1: '7 Step-Up Lane' })
      .map(([field, value]) => `await fill('#address-${field}', ${JSON.stringify(value)});`)
      .join('\n');
    let since = host.events.length;
    await ui(`await waitFor('[data-testid=checkout]');
      ${fields}
      await until(() => {
        const checks = document.querySelector('[data-testid=checkout-checks]')?.textContent ?? '';
        return ['We deliver to this address', 'can pay for this order', 'you will be asked for it'].every((check) => checks.includes(check));
      }, 'the address and the payment method accepted, and the step-up notice');
      await click('[data-testid=place-order]');
      return null;`);
    // The order was left at the BFF over the bridge (the host attached the handle), then the host opened the
    // sign-in with the level the API asked for.
    const opened = await host.waitFor((event) => event.event === 'open-browser', since);
    const asked = new URL(String(opened.url)).searchParams;
    expect(asked.get('acr_values')).toBe('urn:gatehouse:loa:2');
    expect(asked.get('max_age')).toMatch(/^\d+$/);
    expect(answerTo('/auth/pending', since)?.status).toBe(204);
    const left = bridgeEvents(since).find(
      (event) => (event.message as { path?: string }).path === '/auth/pending',
    );
    if (!left) throw new Error('no POST /auth/pending crossed the bridge');
    expect(JSON.parse((left.message as { body: string }).body)).toMatchObject({
      remote: 'checkout',
      action: 'place-order',
    });
    const asking = since;
    since = host.events.length;
    await signInExternally('bob', asking, '123456');
    await host.waitFor((event) => event.event === 'signed-in', since);
    await host.waitFor((event) => event.event === 'loaded' && String(event.uri).endsWith('/checkout'), since);
    // Back on /checkout, the checkout remote takes the order back over the bridge and places it once.
    const orderId = await ui<string>(`return await text('[data-testid=order-placed] strong.mono');`);
    expect(orderId).toMatch(/^order_/);
    expect(answerTo('/auth/pending/checkout', since)?.status).toBe(200);
    const posts = bridgeEvents()
      .filter(
        (event) => (event.message as { path?: string; method?: string }).path === '/api/checkout/orders',
      )
      .slice(-2)
      .map((event) => (event.answer as { status: number }).status);
    expect(posts).toEqual([401, 201]);
    const level = await host.evaluate<{ status: number; body: string }>(`${RAW_SEND}
      return await send({ kind: 'request', method: 'GET', path: '/auth/session', headers: {}, body: null });`);
    expect(JSON.parse(level.body)).toMatchObject({ session: { acr: 'urn:gatehouse:loa:2' } });
    expect(host.output.join('')).not.toContain('no pending action could be read back');
  }, 180_000);

  it('a handoff code is refused when replayed or redeemed with another PKCE verifier', async () => {
    // An attacker who caught a redirect but not the host's verifier: the code is worth nothing, and spent.
    const verifier = 'v'.repeat(43);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = `http://127.0.0.1:${await freePort()}/signed-in`;
    const context = await browser.newContext();
    const page = await context.newPage();
    let caught: URL | undefined;
    page.on('request', (request) => {
      if (request.url().includes('/signed-in?')) caught = new URL(request.url());
    });
    const query = new URLSearchParams({
      redirect_uri: redirectUri,
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    await page.goto(`${shop.urls.shop}/auth/native/authorize?${query}`);
    await page.fill('input[name=login]', 'bob');
    await page.fill('input[name=password]', 'bob');
    await page.click('[type=submit]').catch(() => {});
    await expect.poll(() => caught, { timeout: 15_000 }).toBeDefined();
    await context.close();
    const code = caught?.searchParams.get('code') ?? '';
    const wrong = await redeem(code, 'w'.repeat(43), redirectUri);
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toMatch(/problem\+json/);
    // The right verifier after the wrong one finds the code spent.
    expect((await redeem(code, verifier, redirectUri)).status).toBe(400);

    // The host's own sign-in: its code, replayed after the host redeemed it, is refused.
    const since = host.events.length;
    await host.evaluate(`location.assign('/auth/login?returnTo=%2F'); return null;`);
    const landed = await signInExternally('alice', since);
    await host.waitFor((event) => event.event === 'signed-in', since);
    const replayed = await redeem(
      landed.searchParams.get('code') ?? '',
      verifier,
      `${landed.origin}${landed.pathname}`,
    );
    expect(replayed.status).toBe(400);
  }, 120_000);
});
