/// <reference types="node" />
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describeWith, freePort, launchChromium } from '@gatehouse/testing';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

const sha384 = (text: string) => `sha384-${createHash('sha384').update(text).digest('base64')}`;

// Remotes written by hand: the Gatehouse lifecycle, nothing imported. `greeter` shows who is signed in and
// which keys its context has (no token among them); `private` needs a session.
const greeter = `export const remote = {
  mount(element, context) {
    element.textContent = 'hello ' + (context.identity.isAuthenticated ? context.identity.user.displayName : 'guest')
      + ' [' + Object.keys(context).sort().join(',') + '] frozen=' + Object.isFrozen(context);
  },
  unmount(element) { element.textContent = ''; },
};
`;
const files: Record<string, string> = {
  '/greeter.js': greeter,
  '/tampered.js': greeter.replace('hello', 'hallo'),
  '/private.js': greeter,
};
const alice = {
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

/**
 * The single-spa adapter in the system Chromium, under the BFF's strict CSP: a Gatehouse remote mounted as a
 * single-spa parcel gets the frozen context and is pinned by import-map integrity; a changed byte and a
 * remote the auth state does not allow are refused (the latter with no request).
 */
await describeWith(['chromium'], 'single-spa: a Gatehouse remote as a parcel, in Chromium', () => {
  const requests: string[] = [];
  let cdn: Server;
  let page: Server;
  let cdnOrigin = '';
  let pageOrigin = '';
  let app = '';
  let signedIn = true;
  let browser: Browser;
  const listen = async (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const port = await freePort();
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { server, origin: `http://127.0.0.1:${port}` };
  };

  beforeAll(async () => {
    ({ server: cdn, origin: cdnOrigin } = await listen((req, res) => {
      requests.push(req.url ?? '');
      const file = files[req.url ?? ''];
      res.setHeader('access-control-allow-origin', '*');
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(file);
    }));
    const manifest = (name: string, extra: object = {}) => ({
      name,
      version: '1.0.0',
      entry: `${cdnOrigin}/${name}.js`,
      // `tampered` is pinned to the bytes of `greeter`: one letter differs on the server.
      integrity: sha384(name === 'tampered' ? greeter : files[`/${name}.js`]!),
      ...extra,
    });
    const config = {
      manifests: [manifest('greeter'), manifest('tampered'), manifest('private', { auth: 'required' })],
      allowedOrigins: [cdnOrigin],
    };
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
    ({ server: page, origin: pageOrigin } = await listen((req, res) => {
      if (req.url === '/app.js')
        return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(app);
      const nonce = randomBytes(16).toString('base64');
      res.writeHead(200, {
        'content-type': 'text/html',
        'content-security-policy': `script-src 'nonce-${nonce}' 'strict-dynamic'; require-trusted-types-for 'script'; trusted-types gatehouse`,
      });
      const identity = signedIn ? alice : { isAuthenticated: false };
      res.end(`<!doctype html><script type="application/json" id="gatehouse-identity">${JSON.stringify(identity)}</script>
<script type="application/json" id="config">${JSON.stringify(config)}</script><main id="outlet"></main>
<script type="module" nonce="${nonce}" src="/app.js"></script>`);
    }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of [page, cdn]) {
      server?.closeAllConnections();
      server?.close();
    }
  });

  const open = async (asAlice: boolean): Promise<Page> => {
    signedIn = asAlice;
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(pageOrigin);
    await tab.waitForFunction(() => 'spa' in window);
    return tab;
  };
  const parcel = (tab: Page, name: string) =>
    tab.evaluate(
      (n) =>
        (window as unknown as { spa: { parcel(n: string): Promise<Record<string, string>> } }).spa.parcel(n),
      name,
    );

  it('mounts a remote as a parcel with the frozen RemoteContext and no token, then unmounts it', async () => {
    const tab = await open(true);
    const answer = await parcel(tab, 'greeter');
    expect(answer.ok).toBe(
      'hello Alice [api,can,events,identity,login,name,navigate,onAuthChange,route] frozen=true',
    );
    expect(answer.after).toBe('');
    expect(answer.status).toBe('NOT_MOUNTED');
    await tab.context().close();
  });

  it('refuses a remote whose bytes changed: the parcel is broken, the page goes on', async () => {
    const tab = await open(true);
    expect(await parcel(tab, 'tampered')).toMatchObject({
      code: 'GH_SHELL_LOAD_FAILED',
      status: 'SKIP_BECAUSE_BROKEN',
    });
    expect((await parcel(tab, 'greeter')).ok).toMatch(/^hello Alice/);
    await tab.context().close();
  });

  it('refuses, with no request, a remote the auth state does not allow; signed in, it mounts', async () => {
    const tab = await open(false);
    const before = requests.length;
    expect(await parcel(tab, 'private')).toMatchObject({ code: 'GH_SPA_FORBIDDEN' });
    expect(requests.slice(before)).not.toContain('/private.js');
    expect((await parcel(tab, 'greeter')).ok).toMatch(/^hello guest/);
    await tab.context().close();
    const signedInTab = await open(true);
    expect((await parcel(signedInTab, 'private')).ok).toMatch(/^hello Alice/);
    await signedInTab.context().close();
  });
});
