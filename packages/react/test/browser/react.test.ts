/// <reference types="node" />
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describeWith, freePort, launchChromium } from '@gatehouse/testing';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type {} from './fixture.js';

const ALICE = {
  isAuthenticated: true,
  user: {
    id: 'user_alice',
    displayName: 'Alice',
    roles: ['customer'],
    permissions: ['orders:view'],
    tenants: [],
  },
  session: { expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
};

/** A page serving the fixture (react-dom, the real runtime) and the few BFF answers the shell asks for. */
async function serve(): Promise<{ origin: string; server: Server; requests: string[] }> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./fixture.tsx', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    conditions: ['gatehouse-source'],
    define: { 'process.env.NODE_ENV': '"development"' },
    write: false,
    logLevel: 'silent',
  });
  const app = result.outputFiles[0]!.contents;
  const identity = JSON.stringify(ALICE).replaceAll('<', '\\u003c');
  const page = `<!doctype html><meta charset="utf-8"><title>react</title>
<script type="application/json" id="gatehouse-identity">${identity}</script>
<div id="root"></div><div id="outlet"></div><script type="module" src="/app.js"></script>`;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(app);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    else if (req.url === '/auth/session')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ALICE));
    else res.writeHead(404).end();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${port}`, server, requests };
}

const text = (page: Page, selector: string) =>
  page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
const view = (page: Page) =>
  page.evaluate(() => document.querySelector('[data-gatehouse-view]')?.getAttribute('data-gatehouse-view'));

await describeWith(['chromium'], 'react: bindings in Chromium', () => {
  let browser: Browser;
  let served: Awaited<ReturnType<typeof serve>>;
  let page: Page;
  const errors: string[] = [];
  beforeAll(async () => {
    [served, browser] = await Promise.all([serve(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    served?.server.closeAllConnections();
    await new Promise((resolve) => served?.server.close(resolve));
  });
  beforeEach(async () => {
    page = await browser.newPage();
    errors.length = 0;
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${served.origin}/`);
    await page.waitForFunction(() => 'gh' in window);
    return () => page.close();
  });

  it('useCan and <Can> follow the identity through onAuthChange, re-rendering only on a change', async () => {
    await page.evaluate(() => window.gh.can(['orders:view']));
    await expect.poll(() => text(page, '#probe')).toBe('can view, cannot edit own, Test User');
    expect(await text(page, '#can')).toBe('yes');
    // Another user who may view orders too: the answer is the same, so a component that only asks does not
    // render again.
    await page.evaluate(() =>
      window.gh.setIdentity({ id: 'user_bob', displayName: 'Bob', permissions: ['orders:view'] }),
    );
    await expect.poll(() => text(page, '#probe')).toBe('can view, cannot edit own, Bob');
    expect(await page.evaluate(() => window.gh.log.filter((l) => l === 'can-only').length)).toBe(1);
    // Signed out: the harness calls the onAuthChange listeners as the shell would.
    await page.evaluate(() => window.gh.setIdentity({ isAuthenticated: false }));
    await expect.poll(() => text(page, '#probe')).toBe('cannot view, cannot edit own, guest');
    expect(await text(page, '#can')).toBe('no');
    // Someone else, who may edit their own orders: ownership goes through the shared policy.
    await page.evaluate(() => window.gh.setIdentity({ id: 'user_test', permissions: ['orders:edit'] }));
    await expect.poll(() => text(page, '#probe')).toBe('cannot view, can edit own, Test User');
    const renders = await page.evaluate(() => window.gh.log.filter((l) => l.startsWith('render')).length);
    // Signed out twice (a second tab's news after the first): the same identity, no new render.
    await page.evaluate(() => window.gh.setIdentity({ isAuthenticated: false }));
    await expect.poll(() => text(page, '#probe')).toBe('cannot view, cannot edit own, guest');
    expect(await page.evaluate(() => window.gh.log.filter((l) => l.startsWith('render')).length)).toBe(
      renders + 1,
    );
    await page.evaluate(() => window.gh.setIdentity({ isAuthenticated: false }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await page.evaluate(() => window.gh.log.filter((l) => l.startsWith('render')).length)).toBe(
      renders + 1,
    );
    expect(errors).toEqual([]);
  });

  it('the error boundary shows no-access for a ForbiddenError and reports it', async () => {
    await page.evaluate(() => window.gh.boundary('forbidden'));
    await expect.poll(() => view(page)).toBe('no-access');
    expect(await text(page, '[data-gatehouse-view]')).toBe('You do not have access to this.');
    expect(await page.evaluate(() => window.gh.telemetry)).toEqual([
      { type: 'access_denied', remoteName: 'test-remote', errorType: 'x' },
    ]);
  });

  it('the error boundary shows not-found for a NotFoundError', async () => {
    await page.evaluate(() => window.gh.boundary('not-found'));
    await expect.poll(() => view(page)).toBe('not-found');
    expect(await page.evaluate(() => window.gh.telemetry.map((e) => e.type))).toEqual(['remote_failed']);
  });

  it('the error boundary shows a generic error view for anything else, naming no message', async () => {
    await page.evaluate(() => window.gh.boundary('other'));
    await expect.poll(() => view(page)).toBe('error');
    expect(await text(page, '[data-gatehouse-view]')).toBe('Something went wrong here.');
    expect(await page.evaluate(() => window.gh.telemetry)).toEqual([
      { type: 'remote_failed', remoteName: 'test-remote', errorType: 'TypeError' },
    ]);
  });

  it('the error boundary catches the API client’s 403 read with use(), and offers sign-in for an anonymous 401', async () => {
    await page.evaluate(() => window.gh.boundary('fine-api'));
    await expect.poll(() => text(page, '#order')).toBe('Order mine');
    await page.evaluate(() => window.gh.boundary('forbidden-api'));
    await expect.poll(() => view(page)).toBe('no-access');
    expect(await page.evaluate(() => window.gh.telemetry[0]?.errorType)).toBe('forbidden');

    await page.evaluate(() => window.gh.boundary('unauthenticated-api', false));
    await expect.poll(() => view(page)).toBe('sign-in');
    await page.click('[data-gatehouse-view] button');
    expect(await page.evaluate(() => window.gh.logins)).toEqual(['/']);
  });

  it('a custom fallback replaces one view, reset renders the children again, onError is told', async () => {
    await page.evaluate(() => window.gh.customBoundary());
    await expect.poll(() => text(page, '#retry')).toBe('no such order');
    expect(await page.evaluate(() => window.gh.log.filter((l) => l.startsWith('onError')))).toEqual([
      'onError not-found',
    ]);
    await page.click('#retry');
    await expect
      .poll(() => page.evaluate(() => window.gh.log.filter((l) => l.startsWith('onError')).length))
      .toBe(2);
  });

  it('<RequireAuth> renders its children signed in, and a sign-in offer (or the fallback) for an anonymous visitor', async () => {
    await page.evaluate(() => window.gh.requireAuth(true));
    await expect.poll(() => text(page, '#secret')).toBe('for members');
    expect(await text(page, '#secret2')).toBe('also for members');
    expect(await view(page)).toBeUndefined();

    await page.evaluate(() => window.gh.requireAuth(false));
    await expect.poll(() => view(page)).toBe('sign-in');
    expect(await text(page, '#secret')).toBeNull();
    expect(await text(page, '#custom')).toBe('custom fallback');
    await page.click('[data-gatehouse-view] button');
    expect(await page.evaluate(() => window.gh.logins)).toEqual(['/']);
  });

  it('defineReactRemote: mount renders with the context, update re-renders with the new one, unmount unmounts the root', async () => {
    expect(await page.evaluate(() => window.gh.mountRemote())).toBe('orders: Alice (orders)');
    expect(await page.evaluate(() => window.gh.log)).toContain('effect');
    // The shell's order: onAuthChange listeners, then update with the new context.
    expect(
      await page.evaluate(() =>
        window.gh.updateRemote({ displayName: 'Bob', permissions: ['profile:edit'] }),
      ),
    ).toBe('orders: Bob (no orders)');
    expect(await page.evaluate(() => window.gh.updateRemote({ isAuthenticated: false }))).toBe(
      'orders: guest (no orders)',
    );
    // One root all along: the effect ran once, and its cleanup only at unmount.
    expect(await page.evaluate(() => window.gh.log.filter((l) => l === 'effect' || l === 'cleanup'))).toEqual(
      ['effect'],
    );
    expect(await page.evaluate(() => window.gh.unmountRemote())).toBe('');
    expect(await page.evaluate(() => window.gh.log.filter((l) => l === 'cleanup'))).toEqual(['cleanup']);
    expect(errors).toEqual([]);
  });

  it('defineReactRemote without its boundary: a render error makes mount throw (the shell marks it broken), nothing left behind', async () => {
    expect(await page.evaluate(() => window.gh.mountBroken())).toBe('threw: render failed; left: ""');
  });

  it('under a real shell: the store’s states reach the tree, and another tab’s logout re-renders it', async () => {
    await page.evaluate(() => window.gh.shell());
    await expect.poll(() => text(page, '#status')).toBe('authenticated');
    expect(await text(page, '#probe')).toBe('can view, cannot edit own, Alice');
    // Identity inlined in the page: no session request.
    expect(served.requests).not.toContain('GET /auth/session');
    await page.evaluate(() => window.gh.otherTabSays({ type: 'logged-out', reason: 'backchannel_logout' }));
    await expect.poll(() => text(page, '#status')).toBe('logged-out');
    expect(await text(page, '#probe')).toBeNull();
    expect(await view(page)).toBe('signed-out');
    expect(errors).toEqual([]);
  });

  it('hooks outside a provider throw GH_REACT_NO_PROVIDER', async () => {
    await page.evaluate(() => window.gh.noProvider());
    await expect.poll(() => text(page, '#uncaught')).toContain('Gatehouse hooks need a <GatehouseProvider>');
  });
});
