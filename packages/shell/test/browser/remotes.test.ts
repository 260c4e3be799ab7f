/// <reference types="node" />
import { describeWith, launchChromium } from '@gatehouse/testing';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { openShell, startServers, text, viewIn } from './harness.js';

/**
 * One fixture remote per loading scenario, in the system Chromium, under the BFF's strict CSP (nonce,
 * 'strict-dynamic', Trusted Types): remotes come from a second origin with CORS, pinned by import-map
 * integrity.
 */
await describeWith(['chromium'], 'shell: remote loading in Chromium', () => {
  let servers: Awaited<ReturnType<typeof startServers>>;
  let browser: Browser;
  beforeAll(async () => {
    servers = await startServers();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });
  afterEach(() => {
    servers.bff.page = { inlineIdentity: true, trustedTypes: 'gatehouse', sessionDelayMs: 0, push: true };
  });

  const failures = (name: string) =>
    servers.bff.telemetry.filter((event) => event.type === 'remote_failed' && event.remoteName === name);

  it('mounts a remote from the allow-listed origin on a deep link, from the inlined identity, no session request', async () => {
    const context = await browser.newContext();
    await servers.bff.signIn(context, 'alice');
    const before = servers.bff.requests.length;
    const page = await openShell(context, servers.bff.origin, '/orders/order_123?tab=items');
    await expect.poll(() => text(page)).toContain('Order order_123');
    await expect.poll(() => text(page, '#header')).toContain('header: Alice');
    expect(servers.bff.requests.slice(before)).not.toContain('GET /auth/session');
    // Every module the shell may load is pinned in the import map, the canary aside (and the refused remotes).
    const integrity = await page.evaluate(
      () => JSON.parse(document.querySelector('script[type="importmap"]')!.textContent!).integrity,
    );
    for (const remote of servers.config.remotes.filter((r) => !['evil', 'badlist'].includes(r.name)))
      expect(integrity[remote.entry]).toBe(remote.integrity);
    // Nested route of the same remote: updated in place, no reload.
    await page.evaluate(() => window.gatehouseTest.shell.navigate('/orders'));
    await expect.poll(() => text(page)).toContain('Your orders');
    expect(new URL(page.url()).pathname).toBe('/orders');
    await context.close();
  });

  it('follows links to routes without a reload, and back with the browser’s history', async () => {
    const context = await browser.newContext();
    await servers.bff.signIn(context, 'alice');
    const page = await openShell(context, servers.bff.origin, '/');
    await expect.poll(() => text(page)).toBe('home: Alice');
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 7;
      const link = document.createElement('a');
      link.href = '/orders/order_123';
      link.id = 'to-order';
      link.textContent = 'order';
      document.getElementById('header')!.after(link);
    });
    await page.click('#to-order');
    await expect.poll(() => text(page)).toContain('Order order_123');
    await page.goBack();
    await expect.poll(() => text(page)).toBe('home: Alice');
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(7);
    await context.close();
  });

  it('falls back to GET /auth/session and loads a protected remote only after it answered', async () => {
    servers.bff.page = { inlineIdentity: false, trustedTypes: 'gatehouse', sessionDelayMs: 400, push: true };
    const context = await browser.newContext();
    await servers.bff.signIn(context, 'alice');
    const page = await openShell(context, servers.bff.origin, '/orders');
    await expect.poll(() => text(page)).toContain('Your orders');
    const loadedAt = servers.cdn.times[servers.cdn.requests.lastIndexOf('/orders.js')]!;
    expect(loadedAt).toBeGreaterThanOrEqual(servers.bff.sessionAnsweredAt);
    await context.close();
  });

  it('sends an anonymous visitor of a protected deep link to login with path and query; its code is never fetched', async () => {
    const before = servers.cdn.requests.length;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${servers.bff.origin}/orders/order_123?tab=items`);
    await page.waitForURL(/\/auth\/login\?returnTo=/);
    expect(new URL(page.url()).searchParams.get('returnTo')).toBe('/orders/order_123?tab=items');
    expect(servers.cdn.requests.slice(before)).not.toContain('/orders.js');
    await context.close();
  });

  it('shows no-access to a signed-in user without the role, and never fetches that remote’s code', async () => {
    const before = servers.cdn.requests.length;
    const context = await browser.newContext();
    await servers.bff.signIn(context, 'alice');
    const page = await openShell(context, servers.bff.origin, '/admin');
    await expect.poll(() => viewIn(page)).toBe('no-access');
    expect(servers.cdn.requests.slice(before)).not.toContain('/admin.js');
    await expect
      .poll(() => servers.bff.telemetry.some((e) => e.type === 'access_denied' && e.route === '/admin'))
      .toBe(true);
    const erin = await browser.newContext();
    await servers.bff.signIn(erin, 'erin');
    expect(await text(await openShell(erin, servers.bff.origin, '/admin'))).toBe('admin: Erin');
    await Promise.all([context.close(), erin.close()]);
  });

  it('renders the remote’s own no-access and not-found for the API’s 403 and 404', async () => {
    const context = await browser.newContext();
    await servers.bff.signIn(context, 'alice');
    const page = await openShell(context, servers.bff.origin, '/orders/order_456');
    await expect.poll(() => text(page)).toContain('You do not have access to this order');
    await page.evaluate(() => window.gatehouseTest.shell.navigate('/orders/order_999'));
    await expect.poll(() => text(page)).toContain('No such order');
    expect(new URL(page.url()).pathname).toBe('/orders/order_999'); // no login for a 403 or 404
    await context.close();
  });

  it('a remote that throws on mount: error view in its region, header and other routes keep working', async () => {
    const context = await browser.newContext();
    const page = await openShell(context, servers.bff.origin, '/broken/throws');
    await expect.poll(() => viewIn(page)).toBe('error');
    expect(await text(page)).not.toContain('half-rendered');
    await expect.poll(() => text(page, '#header')).toContain('header: guest');
    await expect.poll(() => failures('throws').map((e) => e.errorType)).toEqual(['GH_SHELL_MOUNT_FAILED']);
    await page.click('#header'); // the page still responds
    await page.evaluate(() => window.gatehouseTest.shell.navigate('/'));
    await expect.poll(() => text(page)).toBe('home: guest');
    await page.evaluate(() => window.gatehouseTest.shell.navigate('/broken/throws'));
    await expect.poll(() => viewIn(page)).toBe('error'); // marked broken: not mounted again
    await context.close();
  });

  it('a remote answering 404: error view, the rest works', async () => {
    const context = await browser.newContext();
    const page = await openShell(context, servers.bff.origin, '/broken/missing');
    await expect.poll(() => viewIn(page)).toBe('error');
    await expect.poll(() => text(page, '#header')).toContain('header: guest');
    await expect.poll(() => failures('missing').map((e) => e.errorType)).toEqual(['GH_SHELL_LOAD_FAILED']);
    await context.close();
  });

  it('a remote with one byte changed is fetched but refused by the integrity check', async () => {
    const context = await browser.newContext();
    const page = await openShell(context, servers.bff.origin, '/broken/tampered');
    await expect.poll(() => viewIn(page)).toBe('error');
    expect(servers.cdn.requests).toContain('/tampered.js');
    await expect.poll(() => failures('tampered').map((e) => e.errorType)).toEqual(['GH_SHELL_LOAD_FAILED']);
    await expect.poll(() => text(page, '#header')).toContain('header: guest');
    await context.close();
  });

  it('pins every module: the chunk of a split remote is checked too', async () => {
    const chunk = servers.cdn.requests.find((path) => /^\/chunked\/chunk-/.test(path)) ?? '';
    const good = await browser.newContext();
    const page = await openShell(good, servers.bff.origin, '/chunked');
    await expect.poll(() => text(page)).toBe('chunked: loaded its chunk');
    await good.close();
    const chunkPath = chunk || [...servers.cdn.files.keys()].find((path) => /^\/chunked\/chunk-/.test(path))!;
    servers.cdn.tampered.add(chunkPath);
    try {
      const bad = await browser.newContext();
      const page = await openShell(bad, servers.bff.origin, '/chunked');
      await expect.poll(() => viewIn(page)).toBe('error');
      await expect.poll(() => failures('chunked').map((e) => e.errorType)).toEqual(['GH_SHELL_MOUNT_FAILED']);
      await bad.close();
    } finally {
      servers.cdn.tampered.delete(chunkPath);
    }
  });

  it('a remote on an origin that is not allow-listed is refused with no request to that origin', async () => {
    const context = await browser.newContext();
    const page = await openShell(context, servers.bff.origin, '/broken/evil');
    await expect.poll(() => viewIn(page)).toBe('error');
    await expect.poll(() => failures('evil').map((e) => e.errorType)).toEqual(['GH_SHELL_UNKNOWN_REMOTE']);
    expect(servers.evil.requests).toEqual([]);
    await context.close();
  });

  it('a remote slower than the timeout is marked broken in time; the shell does not wait for it', async () => {
    const context = await browser.newContext();
    const started = Date.now();
    const page = await openShell(context, servers.bff.origin, '/broken/slow');
    expect(await viewIn(page)).toBe('loading');
    await expect.poll(() => viewIn(page), { timeout: 3500 }).toBe('error');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(3500); // the server needs 4000 ms; the timeout is 1500 ms
    await expect.poll(() => failures('slow').map((e) => e.errorType)).toEqual(['GH_SHELL_TIMEOUT']);
    await page.evaluate(() => window.gatehouseTest.shell.navigate('/'));
    await expect.poll(() => text(page)).toBe('home: guest');
    // When the slow bytes finally arrive, nothing is mounted behind the user's back.
    await page.waitForTimeout(3000);
    expect(await text(page)).toBe('home: guest');
    await context.close();
  });

  it('refuses a remote’s event carrying a token: nothing delivered, the remote told, telemetry told', async () => {
    const context = await browser.newContext();
    const page = await openShell(context, servers.bff.origin, '/token');
    await expect.poll(() => text(page)).toBe('refused GH_REMOTE_TOKEN_IN_EVENT');
    const delivered = await page.evaluate(() =>
      window.gatehouseTest.log.filter((entry) => entry.type === 'cart:updated').map((entry) => entry.payload),
    );
    expect(delivered).toEqual([{ items: 1 }]);
    await expect
      .poll(() => servers.bff.telemetry.filter((e) => e.type === 'event_refused').map((e) => e.errorType))
      .toContain('GH_REMOTE_TOKEN_IN_EVENT');
    expect(JSON.stringify(servers.bff.telemetry)).not.toContain('eyJ');
    await context.close();
  });

  it('holds a remote to the upstreams its manifest declares: an undeclared one is refused before any request, with telemetry', async () => {
    const context = await browser.newContext();
    await servers.bff.signIn(context, 'alice');
    const held = await openShell(context, servers.bff.origin, '/held/order_123');
    await expect.poll(() => text(held)).toContain('account: Alice');
    const before = servers.bff.requests.length;
    await held.click('[data-action=load]');
    await expect.poll(() => held.textContent('output')).toBe('403 forbidden');
    expect(servers.bff.requests.slice(before).filter((line) => line.includes('/api/'))).toEqual([]);
    await expect
      .poll(() => servers.bff.telemetry.filter((e) => e.type === 'upstream_refused').map((e) => e.remoteName))
      .toContain('held');
    // The same code, declaring `orders`, reaches it; a declaration that cannot be read refuses the remote.
    const allowed = await openShell(context, servers.bff.origin, '/allowed/order_123');
    await expect.poll(() => text(allowed)).toContain('account: Alice');
    await allowed.click('[data-action=load]');
    await expect.poll(() => allowed.textContent('output')).toBe('loaded');
    expect(servers.bff.requests).toContain('GET /api/orders/order_123');
    const bad = await openShell(context, servers.bff.origin, '/broken/badlist');
    await expect.poll(() => viewIn(bad)).toBe('error');
    expect(servers.cdn.requests).not.toContain('/badlist.js');
    await context.close();
  });

  it('fails closed: when the page’s CSP refuses the runtime’s import map, no remote loads at all', async () => {
    servers.bff.page = { inlineIdentity: true, trustedTypes: 'someone-else', sessionDelayMs: 0, push: true };
    const before = servers.cdn.requests.length;
    const context = await browser.newContext();
    const page = await openShell(context, servers.bff.origin, '/');
    await expect.poll(() => viewIn(page)).toBe('error');
    await expect.poll(() => viewIn(page, '#header')).toBe('error');
    expect(servers.cdn.requests.slice(before)).toEqual([]);
    await expect
      .poll(() => servers.bff.telemetry.some((e) => e.errorType === 'GH_SHELL_INTEGRITY_UNSUPPORTED'))
      .toBe(true);
    await context.close();
  });

  it('sends telemetry in batches with the contract’s fields and route patterns, not paths', async () => {
    const denied = servers.bff.telemetry.find((e) => e.type === 'access_denied')!;
    expect(denied).toMatchObject({
      route: '/admin',
      remoteName: 'admin',
      shellVersion: 'test-shell',
      authState: 'authenticated',
      userRoleGroup: 'customer',
      errorType: 'role',
    });
    const failed = failures('tampered')[0]!;
    expect(failed).toMatchObject({
      route: '/broken/tampered',
      remoteVersion: '1.0.0',
      authState: 'anonymous',
      userRoleGroup: 'anonymous',
    });
    for (const event of servers.bff.telemetry) expect(Date.parse(event.time!)).not.toBeNaN();
  });
});
