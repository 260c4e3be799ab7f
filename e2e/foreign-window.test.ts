import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBffServer, createLogger, identityScript, resolveConfig } from '@gatehouse/bff';
import { bffClient, createDevIdp } from '@gatehouse/dev-idp';
import { describeWith, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleShell } from './support/shell-bundle.js';

/** What the page exposes to the test (shell-entry.ts), and what the test's recorder heard. */
type E2eWindow = {
  gatehouseE2e: {
    state(): {
      status: string;
      reason?: string;
      identity: { user?: { id: string }; session?: { expiresAt: string } };
    };
    /** The status after every change of the auth state, in order. */
    changes: string[];
  };
  heard: Array<{ origin: string; data: unknown }>;
};

/** Auth-looking messages, as the shell's tabs and the BFF's push channel word them, and variants. */
const FORGED = [
  { type: 'logged-out', reason: 'x' },
  { type: 'logged-out', reason: 'backchannel_logout' },
  { type: 'session-expired' },
  { type: 'logged-in', userId: 'user_bob' },
  { type: 'session-extended', expiresAt: '2099-01-01T00:00:00.000Z' },
  JSON.stringify({ type: 'logged-out', reason: 'x' }),
];

/**
 * docs/security-requirements.md#h47 in the real Chromium: the real shell runtime (bundled from `@gatehouse/shell`) on the
 * real BFF's page, signed in through the dev IdP. A window on another origin posts auth-looking messages to
 * the shell's window and on its own `BroadcastChannel` of the shell's channel name; the user stays signed in.
 *
 * In the real page a foreign window cannot even get that close: CSP (`default-src 'self'`) keeps foreign
 * frames out, `frame-ancestors 'none'` keeps the shell out of foreign frames, and COOP `same-origin` cuts
 * popups off. So the test lifts CSP (`bypassCSP`) to put a foreign frame next to the shell: what is checked
 * is the runtime, which takes auth messages only from same-origin tabs (`BroadcastChannel`) and the BFF.
 */
await describeWith(['chromium'], 'shell and a foreign window in Chromium', () => {
  let browser: Browser;
  let bffUrl: string;
  let evilOrigin: string;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-shell-'));
    const integrity = await bundleShell(dir);
    const port = await freePort();
    bffUrl = `http://localhost:${port}`;
    const idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: bffUrl })] });
    stops.push(() => idp.close());
    const config = resolveConfig({
      publicUrl: bffUrl,
      issuer: idp.issuer,
      sessionSecrets: ['foreign-window-session-secret-32-chars!'],
      assets: [{ prefix: '/static/', dir }],
      integrityPolicy: 'enforce',
    });
    const bff = await (
      await createBffServer({
        config,
        logger: createLogger('silent'),
        renderPage: ({ identity, nonce }) => `<!doctype html><html><head><meta charset="utf-8">
${identityScript(identity)}
<script type="module" nonce="${nonce}" integrity="${integrity}" src="/static/shell.js"></script></head>
<body><div id="outlet"></div></body></html>`,
      })
    ).listen();
    stops.push(() => bff.close());

    // The foreign window: a page on another origin that posts every message to the window framing it, and
    // the same on a BroadcastChannel of the shell's channel name (which is its own origin's channel).
    const evilPort = await freePort();
    evilOrigin = `http://127.0.0.1:${evilPort}`;
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><script>
const messages = ${JSON.stringify(FORGED)};
const channel = new BroadcastChannel('gatehouse:auth');
for (const message of messages) { parent.postMessage(message, '*'); channel.postMessage(message); }
</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(evilPort, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => evil.close(resolve)));
    browser = await launchChromium();
    stops.push(() => browser.close());
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  const state = (page: Page) => page.evaluate(() => (window as unknown as E2eWindow).gatehouseE2e.state());

  it('H47: auth messages posted by a window on another origin are ignored; the user stays signed in', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${bffUrl}/auth/login?returnTo=%2F`);
    await page.fill('input[name="login"]', 'alice');
    await page.fill('input[name="password"]', 'alice');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${bffUrl}/`);
    await expect.poll(() => state(page).then((s) => s.status)).toBe('authenticated');
    const before = await state(page);
    expect(before.identity.user?.id).toBe('user_alice');
    const changes = () => page.evaluate(() => (window as unknown as E2eWindow).gatehouseE2e.changes.length);
    const changesBefore = await changes();

    // Every request the page makes from now on: a shell that believed a message would ask the BFF.
    const asked: string[] = [];
    page.on('request', (request) => asked.push(new URL(request.url()).pathname));
    // The test's own listener: proof that the messages did reach the shell's window.
    await page.evaluate(() => {
      const w = window as unknown as E2eWindow;
      w.heard = [];
      addEventListener('message', (event) => w.heard.push({ origin: event.origin, data: event.data }));
    });
    await page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      document.body.append(frame);
    }, `${evilOrigin}/`);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as E2eWindow).heard))
      .toEqual(FORGED.map((data) => ({ origin: evilOrigin, data })));
    // The shell would react at once (its handler is synchronous) or with one request to the BFF.
    await page.waitForTimeout(500);

    const after = await state(page);
    expect(after.status).toBe('authenticated');
    expect(after.identity).toEqual(before.identity);
    expect(await changes(), 'the auth state never changed, not even for a moment').toBe(changesBefore);
    expect(asked.filter((path) => path.startsWith('/auth/'))).toEqual([]);
    const session = await page.evaluate(async () => (await (await fetch('/auth/session')).json()) as unknown);
    expect(session).toMatchObject({ isAuthenticated: true, user: { id: 'user_alice' } });

    // On the channel the shell does listen to (another tab of this origin), messages outside the contract (a
    // reason the BFF never sends, an extra field) are ignored too, and one of the contract logs this tab out:
    // sent in that order, the state changes once, to the last one.
    await page.evaluate(() => {
      const channel = new BroadcastChannel('gatehouse:auth');
      channel.postMessage({ type: 'logged-out', reason: 'x' });
      channel.postMessage({ type: 'logged-out', reason: 'logout', extra: 1 });
      channel.postMessage({ type: 'logged-out', reason: 'user_action' });
      channel.close();
    });
    await expect.poll(() => state(page)).toMatchObject({ status: 'logged-out', reason: 'user_action' });
    expect(await changes(), 'only the message of the contract changed the state').toBe(changesBefore + 1);
    await context.close();
  });
});
