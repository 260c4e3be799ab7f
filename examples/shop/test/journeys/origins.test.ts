import { request } from 'node:http';
import { describeWith, launchChromium } from '@gatehouse/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningShop, startShop } from '../../src/index.js';
import { buildWeb } from '../../src/web/build/index.js';
import { FREE } from './harness.js';

/** A GET to the remotes server as a browser on `host` would send it (Node does not resolve `*.localhost`). */
function get(port: number, host: string, path: string, origin: string) {
  return new Promise<{ status: number; allow?: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, origin } }, (response) => {
      response.resume();
      const allow = response.headers['access-control-allow-origin'];
      resolve({ status: response.statusCode ?? 0, ...(typeof allow === 'string' ? { allow } : {}) });
    });
    req.once('error', reject);
    req.end();
  });
}

/**
 * Issue 21, part 3: the shop serving each public remote from its own origin (`<name>.localhost:<port>`,
 * loopback in Chromium). The page's CSP lists each origin exactly, each origin answers CORS for the shell's
 * origin only and serves only its own remote, and the shell refuses a manifest whose module sits on another
 * remote's origin.
 */
await describeWith(['chromium'], 'journeys: an origin per remote (issue 21)', () => {
  let shop: RunningShop;
  let browser: Browser;
  // Its own shop (the journeys' harness starts one with a single origin for every remote).
  beforeAll(async () => {
    await buildWeb();
    [shop, browser] = await Promise.all([
      startShop({ ports: FREE, memory: true, logLevel: 'silent', originPerRemote: true }),
      launchChromium(),
    ]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
  }, 60_000);
  const h = {
    get shop() {
      return shop;
    },
    url: (path: string) => `${shop.urls.shop}${path}`,
    /** A fresh context and its page, with every request it makes. */
    journey: async () => {
      const context = await browser.newContext();
      const page: Page = await context.newPage();
      const requests: { url: string }[] = [];
      page.on('request', (r) => requests.push({ url: r.url() }));
      return { page, requests, close: () => context.close() };
    },
  };

  it('loads each public remote from its own origin, which the CSP lists exactly', async () => {
    const { page, requests, close } = await h.journey();
    const answer = await page.goto(h.url('/'));
    await page.getByTestId('home').waitFor();
    const port = h.shop.ports.remotes;
    const publicRemotes = h.shop.web.built.remotes.filter((remote) => remote.serve !== 'bff');
    const origins = publicRemotes.map((remote) => `http://${remote.name}.localhost:${port}`);
    const scriptSrc =
      /script-src ([^;]*)/.exec(answer?.headers()['content-security-policy'] ?? '')?.[1] ?? '';
    expect(
      scriptSrc
        .split(' ')
        .filter((source) => source.startsWith('http'))
        .sort(),
    ).toEqual([...origins].sort());
    expect(scriptSrc).not.toContain(`http://localhost:${port}`);
    const home = requests.filter((r) => r.url.includes('/home/') && r.url.endsWith('.js'));
    expect(home.length).toBeGreaterThan(0);
    for (const r of home) expect(new URL(r.url).origin).toBe(`http://home.localhost:${port}`);
    expect(requests.some((r) => r.url.startsWith(`http://localhost:${port}/`))).toBe(false);
    await close();
  });

  it("answers CORS for the shell's origin only, and serves a remote from its own origin only", async () => {
    const port = h.shop.ports.remotes;
    const home = h.shop.web.built.remotes.find((remote) => remote.name === 'home')!;
    const path = new URL(home.entry).pathname;
    const shell = new URL(h.shop.urls.shop).origin;
    expect(await get(port, `home.localhost:${port}`, path, shell)).toEqual({ status: 200, allow: shell });
    expect(await get(port, `home.localhost:${port}`, path, `http://cart.localhost:${port}`)).toEqual({
      status: 200,
    });
    expect((await get(port, `cart.localhost:${port}`, path, shell)).status).toBe(404);
    expect((await get(port, `localhost:${port}`, path, shell)).status).toBe(404);
  });

  it("refuses, in the page, a remote whose module is on another remote's origin", async () => {
    const { page, close } = await h.journey();
    await page.goto(h.url('/'));
    await page.getByTestId('home').waitFor();
    const port = h.shop.ports.remotes;
    const home = h.shop.web.built.remotes.find((remote) => remote.name === 'home')!;
    const [url, hash] = Object.entries(home.modules)[0] ?? [home.entry, home.integrity];
    const moved = { ...home, modules: { [url.replace('//home.localhost', '//cart.localhost')]: hash } };
    const refusal = await page.evaluate(
      `import('@gatehouse/shell').then(({ validateManifest }) => {
        try { validateManifest(${JSON.stringify({ ...moved, serve: undefined })}, { allowedOrigins: ${JSON.stringify([`http://home.localhost:${port}`, `http://cart.localhost:${port}`])} }); return 'accepted'; }
        catch (error) { return error.problems.join('\\n'); }
      })`,
    );
    expect(refusal).toMatch(/cart\.localhost.*not an absolute URL on an allowed origin/);
    await close();
  });
});
