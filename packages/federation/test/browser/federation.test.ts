/// <reference types="node" />

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describeWith, freePort, launchChromium } from '@gatehouse/testing';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { manifestFor, Origin } from '../fixtures.js';

// A Module Federation container is an ES module with `init(shareScope)` and `get(expose)`; these are written
// by hand (the shop's wishlist is one built by @module-federation/vite). Each loads its exposed module from a
// chunk, which the manifest pins too.
const container = (name: string, initBody = '') => `
export async function init(shareScope) { ${initBody} }
export async function get(expose) {
  const chunk = await import('./chunk.js');
  return () => chunk;
}
// ${name}: padding so a changed byte lands here.
`;
const chunk = (name: string) => `export const message = 'hello from ${name} chunk';\n// pad\n`;
const oldReact = `
  shareScope.react ??= {};
  shareScope.react['18.3.1'] = { version: '18.3.1', from: 'oldreact', loaded: false, scope: ['default'],
    get: () => () => ({ version: '18.3.1' }), shareConfig: { singleton: true, requiredVersion: '^18.0.0' } };
`;

await describeWith(['chromium'], 'federation: the guard plugin in Chromium', () => {
  const cdn = new Origin();
  const evil = new Origin();
  let page: Server;
  let pageOrigin = '';
  let browser: Browser;
  let app = '';
  let config: unknown;

  beforeAll(async () => {
    await cdn.listen();
    await evil.listen();
    for (const name of ['wishlist', 'tampered', 'chunky', 'oldreact', 'private'])
      cdn.files.set(`/${name}/remoteEntry.js`, container(name, name === 'oldreact' ? oldReact : ''));
    for (const name of ['wishlist', 'tampered', 'chunky', 'oldreact', 'private'])
      cdn.files.set(`/${name}/chunk.js`, chunk(name));
    evil.files.set('/wishlist/remoteEntry.js', container('evil'));
    const manifests = ['wishlist', 'tampered', 'chunky', 'oldreact', 'private'].map((name) =>
      manifestFor(cdn, name, `/${name}/remoteEntry.js`, name === 'private' ? { auth: 'required' } : {}),
    );
    config = { manifests, allowedOrigins: [cdn.origin], signedIn: false };
    const result = await build({
      entryPoints: [fileURLToPath(new URL('./app.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['gatehouse-source'],
      write: false,
      logLevel: 'silent',
    });
    app = result.outputFiles[0]!.text;
    const port = await freePort();
    pageOrigin = `http://127.0.0.1:${port}`;
    page = createServer((req, res) => {
      if (req.url === '/app.js')
        return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(app);
      // The BFF's strict CSP: nonce, 'strict-dynamic', Trusted Types.
      const nonce = randomBytes(16).toString('base64');
      res.writeHead(200, {
        'content-type': 'text/html',
        'content-security-policy': `script-src 'nonce-${nonce}' 'strict-dynamic'; require-trusted-types-for 'script'; trusted-types gatehouse`,
      });
      res.end(`<!doctype html><script type="application/json" id="config">${JSON.stringify(config)}</script>
<script type="module" nonce="${nonce}" src="/app.js"></script>`);
    });
    await new Promise<void>((resolve) => page.listen(port, '127.0.0.1', resolve));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    page?.closeAllConnections();
    page?.close();
    await cdn.close();
    await evil.close();
  });

  const open = async (signedIn = false): Promise<Page> => {
    (config as { signedIn: boolean }).signedIn = signedIn;
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(pageOrigin);
    await tab.waitForFunction(() => 'fed' in window);
    return tab;
  };
  const load = (tab: Page, name: string, origin = cdn.origin) =>
    tab.evaluate(
      ([id, remote]) =>
        (
          window as unknown as { fed: { load(i: string, r: unknown): Promise<Record<string, string>> } }
        ).fed.load(id, remote),
      [`${name}/remote`, { name, entry: `${origin}/${name}/remoteEntry.js` }] as const,
    );
  const alive = (tab: Page) => tab.evaluate(() => 1 + 1);

  it('loads a container and its chunk, both pinned by the import map', async () => {
    const tab = await open();
    expect(await load(tab, 'wishlist')).toEqual({ ok: 'hello from wishlist chunk' });
    const integrity = await tab.evaluate(() =>
      Object.assign(
        {},
        ...[...document.querySelectorAll('script[type="importmap"]')].map(
          (s) => JSON.parse(s.textContent!).integrity,
        ),
      ),
    );
    expect(Object.keys(integrity)).toEqual(
      expect.arrayContaining([`${cdn.origin}/wishlist/remoteEntry.js`, `${cdn.origin}/wishlist/chunk.js`]),
    );
    await tab.context().close();
  });

  it('refuses a remote entry with one byte changed, and the page survives', async () => {
    cdn.tampered.add('/tampered/remoteEntry.js');
    const tab = await open();
    expect(await load(tab, 'tampered')).toMatchObject({ code: 'GH_FED_LOAD_FAILED' });
    expect(cdn.requests).not.toContain('/tampered/chunk.js');
    expect(await alive(tab)).toBe(2);
    expect(await load(tab, 'wishlist')).toEqual({ ok: 'hello from wishlist chunk' });
    await tab.context().close();
  });

  it('refuses a chunk with one byte changed: its code never runs', async () => {
    cdn.tampered.add('/chunky/chunk.js');
    const tab = await open();
    const answer = await load(tab, 'chunky');
    expect(answer.ok).toBeUndefined();
    expect(answer.message).toMatch(/chunk\.js|import/);
    expect(cdn.requests).toContain('/chunky/chunk.js');
    expect(await alive(tab)).toBe(2);
    await tab.context().close();
  });

  it('refuses an entry from an origin that is not allow-listed, with no request to it', async () => {
    const tab = await open();
    expect(await load(tab, 'wishlist', evil.origin)).toMatchObject({ code: 'GH_FED_UNPINNED' });
    expect(evil.requests).toEqual([]);
    await tab.context().close();
  });

  it('refuses a container that registers a React its range needs but the host does not have', async () => {
    const tab = await open();
    expect(await load(tab, 'oldreact')).toMatchObject({ code: 'GH_FED_SHARED_CONFLICT' });
    expect(cdn.requests).not.toContain('/oldreact/chunk.js');
    await tab.context().close();
  });

  it('fetches nothing of a signed-in-only remote while signed out', async () => {
    const tab = await open(false);
    expect(await load(tab, 'private')).toMatchObject({ code: 'GH_FED_FORBIDDEN' });
    expect(cdn.requests.filter((path) => path.startsWith('/private/'))).toEqual([]);
    const signedIn = await open(true);
    expect(await load(signedIn, 'private')).toEqual({ ok: 'hello from private chunk' });
    await tab.context().close();
    await signedIn.context().close();
  });
});
