import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWith } from '@gatehouse/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  buildWeb,
  ensureShopSigningKey,
  type ShopManifest,
  signShopManifest,
} from '../../src/web/build/index.js';
import { copyWeb, type WebCopy } from '../support/web-copy.js';
import { fetchStatus, signInAt, signOut, until, useShopJourneys } from './harness.js';

/** The page's shop config: what the BFF told the shell it may load. */
const shopConfig = (page: Page) =>
  page.evaluate(`JSON.parse(document.getElementById('shop-config').textContent)`) as Promise<{
    remotes: { name: string }[];
    federated?: string[];
  }>;

/**
 * Issue 17 at the shop level, in Chromium: the wishlist, a Module Federation 2 container built by
 * @module-federation/vite and served by the BFF behind its asset gate, loads in the same shell beside the
 * ES-module remotes, through @gatehouse/federation; a byte changed in its remoteEntry.js or in one of its
 * chunks on disk is refused and the shell survives; signed-out users never fetch its code; sign-out clears it.
 * The shop serves a private copy of the build, so changing files here disturbs no other test file.
 */
await describeWith(['chromium'], 'journeys: the Module Federation wishlist (issue 17)', () => {
  let copy: WebCopy;
  beforeAll(async () => {
    await buildWeb();
    copy = copyWeb();
  }, 180_000);
  afterAll(() => copy?.remove());
  const h = useShopJourneys(() => ({ webRoot: copy.root }));
  const wishlistCode = (requests: { url: string }[]) =>
    requests.filter((r) => r.url.startsWith(h.url('/remotes/wishlist/')));

  it('loads the wishlist container beside the ES-module remotes; its edit action follows wishlist:edit', async () => {
    const { page, requests } = await h.journey();
    await signInAt(h.shop, page, 'alice', '/wishlist');
    await page.getByTestId('wishlist-remote').waitFor();
    expect(await shopConfig(page)).toMatchObject({ federated: ['wishlist'] });
    // The container's entry and its chunks came from the BFF, each pinned by the page's import maps.
    expect(wishlistCode(requests).map((r) => r.url)).toContain(h.url('/remotes/wishlist/remoteEntry.js'));
    await page.getByTestId('wishlist-line').first().waitFor();
    const before = await page.getByTestId('wishlist-line').count();
    await page.getByTestId('wishlist-remove').first().click();
    await expect.poll(() => page.getByTestId('wishlist-line').count()).toBe(before - 1);
    // The ES-module remotes still load in the same shell, beside it.
    await page.goto(h.url('/product/prod_earbuds'));
    await page.getByTestId('product').waitFor();
  });

  it('shows no edit action without wishlist:edit, and the profile API refuses the edit (403)', async () => {
    const { page } = await h.journey();
    await signInAt(h.shop, page, 'carol', '/wishlist');
    await page.getByTestId('wishlist-remote').waitFor();
    expect(await page.getByTestId('wishlist-remove').count()).toBe(0);
    // With the API client's CSRF header, so the refusal is the permission's, not the BFF's.
    const problem = (await page.evaluate(async (url) => {
      const answer = await fetch(url, { method: 'PUT', headers: { 'x-csrf': '1' } });
      return { status: answer.status, body: await answer.json() };
    }, h.url('/api/profile/wishlist/prod_speaker'))) as { status: number; body: { detail?: string } };
    expect(problem.status).toBe(403);
    expect(JSON.stringify(problem.body)).toMatch(/wishlist:edit|forbidden/);
  });

  it('never fetches the wishlist’s code signed out: not listed, not requested, refused by the asset gate', async () => {
    const { page, requests } = await h.journey();
    await page.goto(h.url('/'));
    await page.getByTestId('home').waitFor();
    expect((await shopConfig(page)).remotes.map((r) => r.name)).not.toContain('wishlist');
    await page.goto(h.url('/wishlist'));
    await page.waitForURL((url) => url.origin === h.shop.urls.idp);
    expect(wishlistCode(requests)).toEqual([]);
    await page.goto(h.url('/'));
    expect(await fetchStatus(page, h.url('/remotes/wishlist/remoteEntry.js'))).toBeGreaterThanOrEqual(401);
  });

  it('clears the wishlist at sign-out: unmounted, and its route asks to sign in again', async () => {
    const { page } = await h.journey();
    await signInAt(h.shop, page, 'alice', '/wishlist');
    await page.getByTestId('wishlist-remote').waitFor();
    await signOut(h.shop, page);
    expect(await page.getByTestId('wishlist-remote').count()).toBe(0);
    await page.goto(h.url('/wishlist'));
    await page.waitForURL((url) => url.origin === h.shop.urls.idp);
  });

  it('runs the help remote, a web component on @gatehouse/remote alone, with the same context', async () => {
    const { page, requests } = await h.journey();
    await page.goto(h.url('/help'));
    await page.getByTestId('help').waitFor();
    await expect.poll(() => page.getByTestId('help-categories').locator('li').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('help-sign-in').count()).toBe(1);
    // Its code: one module of its own and the shared @gatehouse/remote, no React.
    const own = requests.filter((r) => r.url.startsWith(`${h.shop.urls.remotes}/help/`));
    expect(own).toHaveLength(1);
    await signInAt(h.shop, page, 'alice', '/help');
    await page.getByTestId('help-user').filter({ hasText: 'Signed in as Alice' }).waitFor();
  });

  it('refuses, before any request, a wishlist built against a React the shell does not have', async () => {
    const original = readFileSync(copy.manifest);
    const signature = readFileSync(`${copy.manifest}.sig`);
    // The same build, its manifest saying React 18 (as a container built against it would), signed.
    const changed = JSON.parse(original.toString('utf8')) as ShopManifest;
    const wishlist = changed.remotes.find((remote) => remote.name === 'wishlist')!;
    (wishlist as { shared: Record<string, string> }).shared = { ...wishlist.shared, react: '^18.2.0' };
    const { page, requests } = await h.journey();
    try {
      writeFileSync(copy.manifest, JSON.stringify(changed, null, 2));
      signShopManifest(copy.manifest, ensureShopSigningKey());
      await signInAt(h.shop, page, 'alice', '/');
      await until(async () => {
        await page.goto(h.url('/'));
        return JSON.stringify(await shopConfig(page)).includes('^18.2.0');
      }, 'the BFF to serve the changed manifest');
      const failed = page.waitForRequest(
        (request) =>
          request.url() === h.url('/telemetry') && /GH_FED_SHARED_CONFLICT/.test(request.postData() ?? ''),
        { timeout: 20_000 },
      );
      failed.catch(() => {});
      await page.goto(h.url('/wishlist'));
      await page.locator('[data-gatehouse-view=error]').waitFor();
      expect(await page.getByTestId('user-name').textContent()).toBe('Alice');
      await failed;
      expect(wishlistCode(requests)).toEqual([]);
    } finally {
      writeFileSync(copy.manifest, original);
      writeFileSync(`${copy.manifest}.sig`, signature);
    }
    await until(async () => {
      await page.goto(h.url('/'));
      return !JSON.stringify(await shopConfig(page)).includes('^18.2.0');
    }, 'the restored manifest to be served again');
  });

  for (const what of ['remoteEntry.js', 'a chunk'] as const)
    it(`refuses the wishlist when a byte of ${what} changed on disk; the shell survives`, async () => {
      const dist = join(copy.root, 'remotes/wishlist/dist/assets');
      const chunk = readdirSync(dist).find((file) => /^src-.*\.js$/.test(file));
      const tampered = copy.tamper('wishlist', what === 'a chunk' ? `assets/${chunk}` : undefined);
      try {
        const { page } = await h.journey();
        const telemetry = page.waitForRequest(
          (request) =>
            request.url() === h.url('/telemetry') && /remote_failed/.test(request.postData() ?? ''),
          { timeout: 20_000 },
        );
        telemetry.catch(() => {});
        await signInAt(h.shop, page, 'alice', '/wishlist');
        await page.locator('[data-gatehouse-view=error]').waitFor();
        expect(await page.getByTestId('wishlist-remote').count()).toBe(0);
        expect(await page.getByTestId('user-name').textContent()).toBe('Alice');
        const events = (JSON.parse((await telemetry).postData()!) as { events: Record<string, string>[] })
          .events;
        expect(events).toContainEqual(
          expect.objectContaining({ type: 'remote_failed', remoteName: 'wishlist' }),
        );
        // The rest of the shop goes on.
        await page.goto(h.url('/product/prod_earbuds'));
        await page.getByTestId('product').waitFor();
      } finally {
        tampered.restore();
      }
    });
});
