import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionRecord } from '@gatehouse/bff';
import { type RunningShop, startShop } from '@gatehouse/example-shop';
import { buildWeb } from '@gatehouse/example-shop/web-build';
import { describeWith, findJwts, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HostEvent, startWebKitHost, WAIT_FOR, type WebKitHost } from './webkit-host.js';

const FREE = { bff: 0, idp: 0, remotes: 0, catalog: 0, cart: 0, checkout: 0, orders: 0, profile: 0, org: 0 };

let shop: RunningShop;
let host: WebKitHost;
let browser: Browser;
let frameServer: Server;
let framePort: number;
let files: string;
/** Every session id and token the BFF's store was given: none may reach the WebView or the bridge. */
const secrets = new Set<string>();

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

/**
 * The system browser's part: opens the URL the host printed and signs in at the dev IdP's form. Answers the
 * loopback redirect it followed (with the code). `intercept`: the redirect never reaches the host (an
 * attacker's copy of the code).
 */
async function signInExternally(user: string, since: number, intercept = false): Promise<URL> {
  const opened = await host.waitFor((event) => event.event === 'open-browser', since);
  const context = await browser.newContext();
  const page = await context.newPage();
  let redirected: URL | undefined;
  await page.route(/127\.0\.0\.1:\d+\/signed-in/, (route) => {
    redirected = new URL(route.request().url());
    return intercept ? route.fulfill({ status: 200, body: 'intercepted' }) : route.continue();
  });
  await page.goto(String(opened.url));
  await page.fill('input[name=login]', user);
  await page.fill('input[name=password]', user);
  await page.click('[type=submit]');
  await page.waitForURL(/127\.0\.0\.1:\d+\/signed-in/);
  expect(await page.textContent('body')).toContain(intercept ? 'intercepted' : 'Signed in');
  await context.close();
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
    await buildWeb();
    shop = await startShop({
      ports: FREE,
      memory: true,
      logLevel: 'silent',
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
    host = await startWebKitHost(shop.urls.shop, { GATEHOUSE_APP_FILES: files });
  }, 300_000);

  afterAll(async () => {
    await host?.close();
    await browser?.close();
    await new Promise((resolve) => frameServer?.close(resolve));
    await shop?.close();
    if (files) rmSync(files, { recursive: true, force: true });
  }, 60_000);

  it('sign-in through the external browser lands the user in the app, and profile works over the bridge', async () => {
    await host.waitFor((event) => event.event === 'loaded', 0);
    const since = host.events.length;
    // What the shell's login() does: the host stops the navigation and opens the system browser instead.
    await host.evaluate(
      `location.assign('/auth/login?returnTo=' + encodeURIComponent('/profile')); return null;`,
    );
    await signInExternally('alice', since);
    await host.waitFor((event) => event.event === 'signed-in', since);
    await host.waitFor((event) => event.event === 'loaded' && String(event.uri).endsWith('/profile'), since);
    const name = await host.evaluate<string>(
      `${WAIT_FOR} return (await waitFor('[data-testid=profile-name]')).textContent;`,
    );
    expect(name).toContain('Alice');
    expect(answerTo('/api/profile', since)?.status).toBe(200);
    // The WebView never navigated to the issuer or the BFF's login: the host's local origin only.
    const loads = host.events
      .filter((event: HostEvent) => event.event === 'loaded')
      .map((event) => String(event.uri));
    expect(loads.every((uri) => uri.startsWith('http://127.0.0.1:'))).toBe(true);
  }, 120_000);

  it('orders over the bridge: 403 for another user’s order, 404 for none', async () => {
    let since = host.events.length;
    await host.evaluate(`location.assign('/orders/order_123'); return null;`);
    await host.waitFor(
      (event) => event.event === 'loaded' && String(event.uri).endsWith('/orders/order_123'),
      since,
    );
    const mine = await host.evaluate<string>(
      `${WAIT_FOR} return (await waitFor('[data-testid=order-detail]')).textContent;`,
    );
    expect(mine).toContain('order_123');
    for (const [id, status] of [
      ['order_456', 403],
      ['order_none', 404],
    ] as const) {
      since = host.events.length;
      await host.evaluate(`location.assign('/orders/${id}'); return null;`);
      await host.waitFor((event) => event.event === 'loaded' && String(event.uri).endsWith(id), since);
      await host.evaluate(`${WAIT_FOR} await waitFor('[data-testid=order-error]'); return null;`);
      expect(answerTo(`/api/orders/${id}`, since)?.status).toBe(status);
    }
  }, 120_000);

  it('checkout over the bridge places an order', async () => {
    const since = host.events.length;
    await host.evaluate(`location.assign('/product/prod_book_godaan'); return null;`);
    await host.waitFor((event) => event.event === 'loaded' && String(event.uri).endsWith('godaan'), since);
    await host.evaluate(
      `${WAIT_FOR} (await waitFor('[data-testid=add-to-cart]')).click(); await waitFor('[data-testid=cart-count]'); return null;`,
    );
    const loaded = host.events.length;
    await host.evaluate(`location.assign('/checkout'); return null;`);
    await host.waitFor(
      (event) => event.event === 'loaded' && String(event.uri).endsWith('/checkout'),
      loaded,
    );
    const placed = await host.evaluate<string>(`${WAIT_FOR}
      await waitFor('[data-testid=checkout]');
      const fields = { name: 'Alice Iyer', phone: '98450 12345', line1: '12 MG Road', city: 'Bengaluru', state: 'Karnataka', postalCode: '560001' };
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
      for (const [field, value] of Object.entries(fields)) {
        const input = await waitFor('#address-' + field);
        setter.call(input, value);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
      (await waitFor('[data-testid=place-order]')).click();
      return (await waitFor('[data-testid=order-placed]')).textContent;`);
    expect(placed).toMatch(/order_/);
    const posted = bridgeEvents(since).filter(
      (event) => (event.message as { method?: string }).method === 'POST',
    );
    expect(posted.some((event) => (event.answer as { status: number }).status < 300)).toBe(true);
  }, 120_000);

  it('the leak scan finds no token and no handle in the WebView or in the bridge messages', async () => {
    const surfaces = await host.evaluate<Record<string, string>>(`
      const globals = {};
      for (const name of Object.getOwnPropertyNames(window)) {
        try { const value = window[name]; if (typeof value === 'string') globals[name] = value; } catch {}
      }
      const storage = (s) => JSON.stringify(Object.fromEntries(Object.keys(s).map((k) => [k, s.getItem(k)])));
      return {
        globals: JSON.stringify(globals),
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

  it('a back-channel logout reaches the app over the host’s push relay: the remotes’ state is cleared', async () => {
    let since = host.events.length;
    await host.evaluate(`location.assign('/orders'); return null;`);
    await host.waitFor((event) => event.event === 'loaded' && String(event.uri).endsWith('/orders'), since);
    await host.evaluate(`${WAIT_FOR} await waitFor('[data-testid=orders-list]'); return null;`);
    since = host.events.length;
    // The issuer ends alice's sessions: its back-channel logout token reaches the BFF server to server.
    const ended = await shop.bff.runtime.sessions.endBySub(
      shop.idp.issuer,
      'user_alice',
      'backchannel_logout',
    );
    expect(ended).toBeGreaterThan(0);
    await host.waitFor((event) => event.event === 'push-message', since);
    await host.waitFor((event) => event.event === 'signed-out', since);
    const main = await host.evaluate<string>(`${WAIT_FOR}
      await waitFor('[data-gatehouse-view=signed-out], [data-gatehouse-view=expired-notice], [data-gatehouse-view=sign-in]');
      return document.querySelector('main')?.textContent ?? document.body.textContent;`);
    expect(main).not.toContain('order_123');
  }, 60_000);

  it('a handoff code is refused when replayed or redeemed with another PKCE verifier', async () => {
    let since = host.events.length;
    await host.evaluate(
      `location.assign('/auth/login?returnTo=' + encodeURIComponent('/orders')); return null;`,
    );
    // Someone else catches the redirect: without the host's verifier the code is worth nothing, and spent.
    const stolen = await signInExternally('alice', since, true);
    const redirectUri = `${stolen.origin}${stolen.pathname}`;
    const wrong = await redeem(stolen.searchParams.get('code') ?? '', 'x'.repeat(43), redirectUri);
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toMatch(/problem\+json/);

    since = host.events.length;
    await host.evaluate(
      `location.assign('/auth/login?returnTo=' + encodeURIComponent('/orders')); return null;`,
    );
    const landed = await signInExternally('alice', since);
    await host.waitFor((event) => event.event === 'signed-in', since);
    // The host redeemed it: the same code again is refused, whatever the verifier.
    const replayed = await redeem(landed.searchParams.get('code') ?? '', 'x'.repeat(43), redirectUri);
    expect(replayed.status).toBe(400);
  }, 120_000);

  it('a user logout over the bridge clears the remotes’ state and the host forgets the handle', async () => {
    let since = host.events.length;
    await host.evaluate(`location.assign('/orders'); return null;`);
    await host.waitFor((event) => event.event === 'loaded' && String(event.uri).endsWith('/orders'), since);
    await host.evaluate(`${WAIT_FOR} await waitFor('[data-testid=orders-list]'); return null;`);
    since = host.events.length;
    await host.evaluate(`${WAIT_FOR} (await waitFor('[data-testid=account-button]')).click();
      await waitFor('[role=menuitem]');
      [...document.querySelectorAll('[role=menuitem]')].find((item) => item.textContent.includes('Sign out')).click();
      return null;`);
    await host.waitFor((event) => event.event === 'signed-out', since);
    expect(answerTo('/auth/logout', since)?.status).toBe(200);
    await host.waitFor((event) => event.event === 'loaded', since);
    const text = await host.evaluate<string>(`return document.body.textContent;`);
    expect(text).not.toContain('order_123');
    const after = await host.evaluate<{ status: number }>(`${RAW_SEND}
      return await send({ kind: 'request', method: 'GET', path: '/api/orders', headers: {}, body: null });`);
    expect(after.status).toBe(401);
  }, 120_000);
});
