/// <reference types="node" />
import { describeWith } from '@gatehouse/testing';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { openShell, text, useShellBrowser, viewIn } from './harness.js';

/** When `type` first appears in the page's log, in ms since the epoch. */
const loggedAt = (page: Page, type: string) =>
  page.evaluate((t) => window.gatehouseTest.log.find((entry) => entry.type === t)?.at, type);
const state = (page: Page) => page.evaluate(() => window.gatehouseTest.shell.auth.getState().status);
const storage = (page: Page) =>
  page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    databases: (await indexedDB.databases()).length,
  }));

/**
 * Session flows in the system Chromium: cross-tab sync (BroadcastChannel), the BFF's push channel
 * (EventSource), the one 401 flow, the expiry warning and extension.
 */
await describeWith(['chromium'], 'shell: session across tabs in Chromium', () => {
  const env = useShellBrowser();
  const { newContext, streamsOf } = env;

  it('logout in one tab reaches the other within a second, without reload; one push connection for both', async () => {
    const context = await newContext();
    const sid = await env.servers.bff.signIn(context, 'alice');
    const a = await openShell(context, env.servers.bff.origin, '/orders/order_123');
    const heardInA: { type: string; at: number }[] = [];
    await a.exposeFunction('gatehouseReport', (entry: { type: string; at: number }) => heardInA.push(entry));
    const b = await openShell(context, env.servers.bff.origin, '/orders/order_123');
    await expect.poll(() => text(b)).toContain('Order order_123');
    await expect.poll(() => text(b, '#header')).toContain('header: Alice');
    // One tab holds the push connection (Web Lock), the other hears it from there.
    await expect.poll(() => streamsOf(sid)).toBe(1);
    await b.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });

    const clickedAt = await a.evaluate(() => performance.timeOrigin + performance.now());
    await a.evaluate(() => {
      void window.gatehouseTest.shell.logout();
    });
    await expect.poll(() => viewIn(b)).toBe('signed-out');
    await expect.poll(() => heardInA.some((entry) => entry.type === 'state:logged-out')).toBe(true);
    const sentAt = heardInA.find((entry) => entry.type === 'state:logged-out')?.at;
    const heardAt = await loggedAt(b, 'state:logged-out');
    const latency = heardAt! - sentAt!;
    console.log(
      `cross-tab logout: ${latency.toFixed(1)} ms from tab A's logout to tab B's state change ` +
        `(${(heardAt! - clickedAt).toFixed(1)} ms from the call, POST /auth/logout included)`,
    );
    expect(latency).toBeLessThan(1000);
    expect(heardAt! - clickedAt).toBeLessThan(1000);
    // Tab B: no reload, remotes told and unmounted, header back to guest, the reason carried.
    expect(await b.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    await expect.poll(() => text(b, '#header')).toContain('header: guest');
    expect(await text(b)).not.toContain('order_123');
    expect(
      await b.evaluate(() => window.gatehouseTest.log.find((e) => e.type === 'auth:logged-out')?.payload),
    ).toEqual({
      reason: 'user_action',
    });
    // Tab A went on to the identity provider's logout page (here: /).
    await a.waitForURL(`${env.servers.bff.origin}/`);
    expect(await storage(b)).toEqual({ local: 0, session: 0, databases: 0 });
  });

  it('login in one tab reaches the other within a second, without reload', async () => {
    const context = await newContext();
    const b = await openShell(context, env.servers.bff.origin, '/');
    await expect.poll(() => text(b)).toBe('home: guest');
    // Tab A finishes a login (the BFF sets the cookie, the shell page loads signed in).
    await env.servers.bff.signIn(context, 'alice');
    const a = await openShell(context, env.servers.bff.origin, '/product/p1');
    const sentAt = (await loggedAt(a, 'state:authenticated'))!;
    await expect.poll(() => text(b)).toBe('home: Alice');
    const heardAt = await loggedAt(b, 'state:authenticated');
    console.log(`cross-tab login: tab B signed in ${(heardAt! - sentAt).toFixed(1)} ms after tab A was`);
    expect(heardAt! - sentAt).toBeLessThan(1000);
    await expect.poll(() => text(b, '#header')).toContain('header: Alice (1)'); // onAuthChange ran once
    expect(await b.evaluate(() => window.gatehouseTest.log.some((e) => e.type === 'auth:logged-in'))).toBe(
      true,
    );
  });

  it('a back-channel logout pushed by the BFF reaches every tab at once', async () => {
    const context = await newContext();
    const sid = await env.servers.bff.signIn(context, 'alice');
    const a = await openShell(context, env.servers.bff.origin, '/orders');
    const b = await openShell(context, env.servers.bff.origin, '/');
    await expect.poll(() => streamsOf(sid)).toBe(1);
    env.servers.bff.endSession(sid, false);
    expect(env.servers.bff.push(sid, { type: 'logged-out', reason: 'backchannel_logout' })).toBe(1);
    await expect.poll(() => viewIn(a)).toBe('signed-out');
    await expect.poll(() => text(b)).toBe('home: guest');
    for (const page of [a, b])
      expect(
        await page.evaluate(
          () => window.gatehouseTest.log.find((e) => e.type === 'auth:logged-out')?.payload,
        ),
      ).toEqual({
        reason: 'backchannel_logout',
      });
    expect(await state(b)).toBe('logged-out');
  });

  it('a role the issuer removed closes the admin remote in every tab via push, and the session goes on', async () => {
    const context = await newContext();
    const sid = await env.servers.bff.signIn(context, 'erin');
    const a = await openShell(context, env.servers.bff.origin, '/admin');
    const b = await openShell(context, env.servers.bff.origin, '/admin');
    for (const page of [a, b]) await expect.poll(() => text(page)).toBe('admin: Erin');
    await expect.poll(() => streamsOf(sid)).toBe(1);
    expect(env.servers.bff.changeIdentity(sid, { roles: [], permissions: [] })).toBe(1);
    for (const page of [a, b]) {
      await expect.poll(() => viewIn(page), { timeout: 3000 }).toBe('no-access');
      expect(await state(page)).toBe('authenticated');
      expect(
        await page.evaluate(
          () => window.gatehouseTest.log.filter((e) => e.type === 'auth:identity-changed').length,
        ),
      ).toBeGreaterThan(0);
    }
    // The push stream stays open: only who the user is changed.
    expect(streamsOf(sid)).toBe(1);
  });

  it('when the push stream is refused (401), the tabs learn the session is gone', async () => {
    const context = await newContext();
    const sid = await env.servers.bff.signIn(context, 'alice');
    const a = await openShell(context, env.servers.bff.origin, '/orders');
    const b = await openShell(context, env.servers.bff.origin, '/orders');
    await expect.poll(() => streamsOf(sid)).toBe(1);
    env.servers.bff.endSession(sid); // closes the stream; the reconnect gets 401
    for (const page of [a, b]) await expect.poll(() => state(page), { timeout: 3000 }).toBe('expired');
    await expect.poll(() => text(b)).toContain('Your session has expired.');
  });

  it('an API 401 goes to the one flow: expired everywhere, a notice, then login back to the route', async () => {
    const context = await newContext();
    const sid = await env.servers.bff.signIn(context, 'alice');
    const a = await openShell(context, env.servers.bff.origin, '/orders');
    const b = await openShell(context, env.servers.bff.origin, '/');
    await expect.poll(() => text(a)).toContain('Your orders');
    env.servers.bff.endSession(sid, false); // silently: only the API will tell
    await a.evaluate(() => window.gatehouseTest.shell.navigate('/orders/order_123?tab=items'));
    await expect
      .poll(() => a.textContent('[data-gatehouse-view="expired-notice"]'))
      .toContain('Your session has expired');
    await a.waitForURL(/\/auth\/login\?/);
    expect(new URL(a.url()).searchParams.get('returnTo')).toBe('/orders/order_123?tab=items');
    expect(env.servers.bff.logins).toContain('/orders/order_123?tab=items');
    await expect.poll(() => state(b)).toBe('expired');
  });

  it('an upstream’s own 401 (a refused token, a plain 401) reaches the caller and ends no session', async () => {
    const context = await newContext();
    await env.servers.bff.signIn(context, 'alice');
    const a = await openShell(context, env.servers.bff.origin, '/orders');
    const b = await openShell(context, env.servers.bff.origin, '/');
    await expect.poll(() => text(a)).toContain('Your orders');
    for (const path of ['/api/reports/token-refused', '/api/reports/plain-401']) {
      const answer = await a.evaluate(
        (target) =>
          window.gatehouseTest.shell.api.get(target).then(
            () => 'resolved',
            (error: { name: string; code: string; status: number }) =>
              `${error.name} ${error.status} ${error.code}`,
          ),
        path,
      );
      expect(answer).toBe('UnauthenticatedError 401 unauthenticated');
    }
    await a.waitForTimeout(500);
    expect(new URL(a.url()).pathname).toBe('/orders');
    expect(await a.locator('[data-gatehouse-view="expired-notice"]').count()).toBe(0);
    for (const page of [a, b]) expect(await state(page)).toBe('authenticated');
  });

  it('a session store outage (503 store_unavailable) reaches the caller and signs no one out', async () => {
    const context = await newContext();
    const sid = await env.servers.bff.signIn(context, 'alice');
    const a = await openShell(context, env.servers.bff.origin, '/orders');
    const b = await openShell(context, env.servers.bff.origin, '/');
    await expect.poll(() => text(a)).toContain('Your orders');
    await expect.poll(() => streamsOf(sid)).toBe(1);
    const logins = env.servers.bff.logins.length;
    const from = env.servers.bff.requests.length;
    env.servers.bff.storeDown = true;
    // The push stream drops too: its leader tries again (503), then asks GET /auth/session (503).
    env.servers.bff.dropStreams(sid);
    const call = () =>
      a.evaluate(() =>
        window.gatehouseTest.shell.api.get('/api/orders').then(
          () => 'resolved',
          (error: { name: string; code: string; status: number }) =>
            `${error.name} ${error.status} ${error.code}`,
        ),
      );
    expect(await call()).toBe('ApiError 503 store_unavailable');
    expect(await a.evaluate(() => window.gatehouseTest.shell.extend())).toBe(false);
    await expect
      .poll(() => env.servers.bff.requests.slice(from))
      .toEqual(expect.arrayContaining(['GET /auth/events', 'GET /auth/session']));
    await a.waitForTimeout(500);
    expect(new URL(a.url()).pathname).toBe('/orders');
    expect(await a.locator('[data-gatehouse-view]').count()).toBe(0);
    expect(env.servers.bff.logins).toHaveLength(logins);
    for (const page of [a, b]) expect(await state(page)).toBe('authenticated');
    // The store is back: the same session goes on.
    env.servers.bff.storeDown = false;
    expect(await call()).toBe('resolved');
    await a.evaluate(() => window.gatehouseTest.shell.navigate('/orders/order_123'));
    await expect.poll(() => text(a)).toContain('Order order_123');
  });

  it('an anonymous visitor’s 401 only reaches the caller: no notice, no redirect', async () => {
    const context = await newContext();
    const page = await openShell(context, env.servers.bff.origin, '/');
    const answer = await page.evaluate(() =>
      window.gatehouseTest.shell.api.get('/api/orders').then(
        () => 'resolved',
        (error: { name: string; code: string }) => `${error.name} ${error.code}`,
      ),
    );
    expect(answer).toBe('UnauthenticatedError unauthenticated');
    await page.waitForTimeout(500);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('[data-gatehouse-view="expired-notice"]').count()).toBe(0);
    expect(await state(page)).toBe('anonymous');
  });

  it('warns before the session expires without asking the BFF, and extend() pushes the end back in every tab', async () => {
    const context = await newContext();
    await env.servers.bff.signIn(context, 'alice', 3500); // the warning comes 2000 ms ahead
    const a = await openShell(context, env.servers.bff.origin, '/orders');
    const b = await openShell(context, env.servers.bff.origin, '/orders');
    const asked = env.servers.bff.requests.filter((r) => r === 'GET /auth/session').length;
    await expect.poll(() => loggedAt(a, 'auth:session-expiring'), { timeout: 3000 }).toBeGreaterThan(0);
    // A view that mounts after the event can still read that the session is about to end.
    expect(await a.evaluate(() => window.gatehouseTest.shell.expiring())).toMatch(/^\d{4}-/);
    // The warning costs no request: GET /auth/session would count as activity at the BFF.
    expect(env.servers.bff.requests.filter((r) => r === 'GET /auth/session').length).toBe(asked);
    expect(await a.evaluate(() => window.gatehouseTest.shell.extend())).toBe(true);
    const expiresAt = await a.evaluate(() => {
      const s = window.gatehouseTest.shell.auth.getState();
      return s.identity.isAuthenticated ? s.identity.session.expiresAt : '';
    });
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(60_000);
    expect(await a.evaluate(() => window.gatehouseTest.shell.expiring())).toBeUndefined();
    await expect
      .poll(() =>
        b.evaluate(() => {
          const s = window.gatehouseTest.shell.auth.getState();
          return s.identity.isAuthenticated ? s.identity.session.expiresAt : '';
        }),
      )
      .toBe(expiresAt);
    await a.waitForTimeout(2500); // past the old expiry: still signed in
    expect(await state(a)).toBe('authenticated');
    expect(await state(b)).toBe('authenticated');
  });

  it('without extension, the push channel ends the session at expiresAt in every tab', async () => {
    const context = await newContext();
    await env.servers.bff.signIn(context, 'alice', 6000); // room for two page loads on a busy machine
    const a = await openShell(context, env.servers.bff.origin, '/orders');
    const b = await openShell(context, env.servers.bff.origin, '/orders');
    expect(await state(a)).toBe('authenticated');
    for (const page of [a, b]) await expect.poll(() => viewIn(page), { timeout: 15_000 }).toBe('signed-out');
    expect(await text(a)).toContain('Your session has expired.');
    await a.click('[data-gatehouse-view="signed-out"] button');
    await a.waitForURL(/\/auth\/login\?returnTo=%2Forders$/);
  });

  it('without a push channel, the leader asks the BFF once the expiry has passed', async () => {
    env.servers.bff.page = { ...env.servers.bff.page, push: false };
    try {
      const context = await newContext();
      await env.servers.bff.signIn(context, 'alice', 6000);
      const a = await openShell(context, env.servers.bff.origin, '/orders');
      const b = await openShell(context, env.servers.bff.origin, '/orders');
      expect(await state(a)).toBe('authenticated');
      for (const page of [a, b])
        await expect.poll(() => viewIn(page), { timeout: 15_000 }).toBe('signed-out');
    } finally {
      env.servers.bff.page = { ...env.servers.bff.page, push: true };
    }
  });
});
