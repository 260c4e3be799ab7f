import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAVIGATION_HEADERS, signIn as signInAt, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadShopWeb, type RunningShop, startShop } from '../src/index.js';
import { buildWeb } from '../src/web/build/index.js';

const FREE = { bff: 0, idp: 0, remotes: 0, catalog: 0, cart: 0, checkout: 0, orders: 0, profile: 0, org: 0 };

/** Signs in through the BFF and the IdP's login form, like a browser. */
async function signIn(shop: RunningShop, login: string): Promise<TestBrowser> {
  const browser = new TestBrowser();
  await signInAt(browser, shop.urls.shop, login);
  return browser;
}

describe('startShop', () => {
  let dataDir: string;
  let shop: RunningShop;
  beforeAll(async () => {
    await buildWeb();
    dataDir = mkdtempSync(join(tmpdir(), 'gh-shop-'));
    shop = await startShop({ ports: FREE, dataDir, logLevel: 'silent' });
  }, 120_000);
  afterAll(async () => {
    await shop?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the shell page with the strict CSP, the shell’s files, and the public remotes with CORS', async () => {
    const browser = new TestBrowser();
    const page = await browser.get(`${shop.urls.shop}/`, NAVIGATION_HEADERS);
    expect(page.status).toBe(200);
    expect(page.header('content-security-policy')).toMatch(/script-src 'nonce-[^']+' 'strict-dynamic'/);
    expect(page.header('content-security-policy')).toContain(shop.urls.remotes);
    const shell = shop.web.built.shell;
    const main = await browser.get(`${shop.urls.shop}${shell.entry}`);
    expect(main.status).toBe(200);
    expect(main.header('content-type')).toMatch(/javascript/);
    const home = shop.web.built.remotes.find((remote) => remote.name === 'home')!;
    expect(home.entry.startsWith(`${shop.urls.remotes}/home/`)).toBe(true);
    const remote = await browser.get(home.entry, { origin: shop.urls.shop });
    expect(remote.status).toBe(200);
    expect(remote.header('access-control-allow-origin')).toBe(shop.urls.shop);
    // Navigations to protected routes are sent to sign in before any script runs.
    const orders = await browser.get(`${shop.urls.shop}/orders/order_123`, NAVIGATION_HEADERS);
    expect(orders.status).toBe(302);
    expect(orders.header('location')).toBe('/auth/login?returnTo=%2Forders%2Forder_123');
  });

  it('serves the admin and org code only to who may load it (401 anonymous, 403 others)', async () => {
    const admin = shop.web.built.remotes.find((remote) => remote.name === 'admin')!;
    const org = shop.web.built.remotes.find((remote) => remote.name === 'org')!;
    expect(admin.entry.startsWith(`${shop.urls.shop}/remotes/admin/`)).toBe(true);
    const [alice, erin, frank] = await Promise.all(
      ['alice', 'erin', 'frank'].map((who) => signIn(shop, who)),
    );
    const status = async (browser: TestBrowser, url: string) => (await browser.get(url)).status;
    expect(await status(new TestBrowser(), admin.entry)).toBe(401);
    expect(await status(alice!, admin.entry)).toBe(403);
    expect(await status(frank!, admin.entry)).toBe(403);
    expect(await status(erin!, admin.entry)).toBe(200);
    expect(await status(alice!, org.entry)).toBe(403);
    expect(await status(frank!, org.entry)).toBe(200);
    expect(await status(erin!, org.entry)).toBe(200);
    // And the remotes origin does not have them at all.
    expect(
      await status(new TestBrowser(), `${shop.urls.remotes}/admin/${admin.entry.split('/').pop()}`),
    ).toBe(404);
  });

  it('keeps the shop’s data across a restart (close() flushes PGlite)', async () => {
    await shop.db.query(`UPDATE catalog.products SET stock = 42 WHERE id = 'prod_earbuds'`);
    await shop.close();
    shop = await startShop({ ports: FREE, dataDir, logLevel: 'silent' });
    const [row] = await shop.db.query<{ stock: number }>(
      `SELECT stock FROM catalog.products WHERE id = 'prod_earbuds'`,
    );
    expect(row?.stock).toBe(42);
  }, 60_000);

  it('refuses to start when the manifest’s signature does not verify with its key', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect(startShop({ ports: FREE, memory: true, manifestKey: other })).rejects.toThrow(
      /signature does not match .*npm start builds and signs it; in code, await buildWeb\(\) first/,
    );
  });

  it('says how to build when the web build is missing', () => {
    expect(() =>
      loadShopWeb({
        bffUrl: 'http://localhost:1',
        remotesUrl: 'http://localhost:2',
        manifestPath: '/nope.json',
      }),
    ).toThrow(/npm start builds it; in code, await buildWeb\(\) first/);
  });
});
