import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { doctor } from '@gatehouse/cli';
import { describeWith } from '@gatehouse/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRemotesOrigin } from '../../src/index.js';
import { buildWeb, type ShopManifest } from '../../src/web/build/index.js';
import { copyWeb, shopDoctorOptions, type WebCopy } from '../support/web-copy.js';
import { fetchStatus, signInAt, until, useShopJourneys } from './harness.js';

/** The page's shop config: what the BFF told the shell it may load. */
const shopConfig = (page: Page) =>
  page.evaluate(`JSON.parse(document.getElementById('shop-config').textContent)`) as Promise<{
    remotes: { name: string }[];
    unavailable?: boolean;
  }>;

/**
 * Issue 6 at the shop level, in Chromium: the enforced Integrity-Policy, the signed manifest failing closed
 * when swapped on disk (and recovering), the remotes origin going down, and a remote tampered on disk. The
 * shop serves a private copy of the build (`webRoot`), so changing files here disturbs no other test file.
 */
await describeWith(['chromium'], 'journeys: hardening (issue 6)', () => {
  let copy: WebCopy;
  beforeAll(async () => {
    await buildWeb();
    copy = copyWeb();
  }, 120_000);
  /** The remotes origin started again after the "down" test, for the tests after it. */
  let restarted: { close(): Promise<void> } | undefined;
  afterAll(async () => {
    await restarted?.close();
    copy?.remove();
  });
  const h = useShopJourneys(() => ({ webRoot: copy.root }));

  it('runs the whole shop under an enforced Integrity-Policy, which blocks a script without integrity', async () => {
    const { page } = await h.journey();
    const answer = await page.goto(h.url('/'));
    expect(answer?.headers()['integrity-policy']).toMatch(/blocked-destinations=\(script\)/);
    expect(answer?.headers()['integrity-policy-report-only']).toBeUndefined();
    await page.getByTestId('home').waitFor();
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText}`));
    // A string, so the test runner does not rewrite `import()`.
    const load = (url: string) =>
      page.evaluate(
        `import(${JSON.stringify(url)}).then(() => 'loaded', (error) => 'refused: ' + error.message)`,
      ) as Promise<string>;
    const { shell } = h.shop.web.built;
    // A module the import map pins loads; the very same file at a URL with no integrity does not, though
    // the server has it (fetch, not a script, gets it): Chromium fails the request for its integrity.
    const unpinned = h.url(`${shell.imports.react!}?no-integrity`);
    expect(await load(h.url(shell.imports.react!))).toBe('loaded');
    expect(await load(unpinned)).toMatch(/^refused/);
    expect(await fetchStatus(page, unpinned)).toBe(200);
    await until(() => failed.includes(`${unpinned} integrity`), 'the request to fail for its integrity');
  });

  it('fails closed when the manifest is swapped on disk: no remote loads, an error shows; the signed one brings it back', async () => {
    const { page, requests } = await h.journey();
    await page.goto(h.url('/'));
    await page.getByTestId('home').waitFor();
    const original = readFileSync(copy.manifest);
    const signature = readFileSync(`${copy.manifest}.sig`);
    const swapped = JSON.parse(original.toString('utf8')) as ShopManifest;
    const home = swapped.remotes.find((remote) => remote.name === 'home')!;
    (home as { entry: string }).entry = 'http://localhost:4002/home/home-evil0000.js';
    const refused = async () => {
      await page.goto(h.url('/'));
      return (await page.locator('[data-gatehouse-view=error][data-reason=manifest]').count()) === 1;
    };
    try {
      // Unsigned, then signed with someone else's key: the BFF refuses both within its polling interval.
      writeFileSync(copy.manifest, JSON.stringify(swapped));
      await until(refused, 'the page to say the shop is unavailable');
      const attacker = generateKeyPairSync('ed25519').privateKey;
      const bytes = Buffer.from(JSON.stringify(swapped, null, 1));
      writeFileSync(copy.manifest, bytes);
      writeFileSync(`${copy.manifest}.sig`, sign(null, bytes, attacker).toString('base64'));
      await until(refused, 'the page to refuse a manifest signed with another key');
      const before = requests.length;
      await page.goto(h.url('/'));
      await page.locator('[data-gatehouse-view=error][data-reason=manifest]').waitFor();
      expect(await shopConfig(page)).toMatchObject({ remotes: [], unavailable: true });
      expect(await page.locator('[data-gatehouse-remote]').count()).toBe(0);
      expect(requests.slice(before).filter((r) => r.url.startsWith(h.shop.urls.remotes))).toEqual([]);
      expect(await page.getByTestId('sign-in').count()).toBe(1);
    } finally {
      writeFileSync(copy.manifest, original);
      writeFileSync(`${copy.manifest}.sig`, signature);
    }
    await until(async () => {
      await page.goto(h.url('/'));
      return (await page.locator('[data-gatehouse-view=error][data-reason=manifest]').count()) === 0;
    }, 'the restored manifest to be verified again');
    await page.getByTestId('home').waitFor();
  });

  it('keeps the shell and the BFF-served remotes alive when the remotes origin is down; the region says so', async () => {
    const { page } = await h.journey();
    await signInAt(h.shop, page, 'erin', '/');
    await page.getByTestId('home').waitFor();
    await h.shop.remotesOrigin.close();
    try {
      await page.goto(h.url('/product/prod_earbuds'));
      await page.locator('[data-gatehouse-view=error]').waitFor();
      expect(await page.getByTestId('product').count()).toBe(0);
      expect(await page.getByTestId('user-name').textContent()).toBe('Erin');
      // The admin remote comes from the BFF itself: it still loads, without a reload.
      await page.getByTestId('account-button').click();
      await page.getByRole('menuitem', { name: 'Admin area' }).click();
      await page.getByTestId('admin-users').waitFor();
    } finally {
      // Back up (on the same port), for this test's end and the next tests.
      restarted = await startRemotesOrigin({
        remotes: h.shop.web.publicRemotes,
        allowOrigin: h.shop.urls.shop,
        port: h.shop.ports.remotes,
      });
    }
    await page.goto(h.url('/product/prod_earbuds'));
    await page.getByTestId('product').waitFor();
  });

  it('refuses a remote tampered on disk: integrity fails in the browser, the region shows an error, telemetry reports it, doctor finds it', async () => {
    const tampered = copy.tamper('product');
    try {
      const { page } = await h.journey();
      const failures: string[] = [];
      page.on('console', (message) => message.type() === 'error' && failures.push(message.text()));
      const telemetry = page.waitForRequest(
        (request) => request.url() === h.url('/telemetry') && /remote_failed/.test(request.postData() ?? ''),
        { timeout: 20_000 },
      );
      telemetry.catch(() => {});
      await page.goto(h.url('/product/prod_earbuds'));
      await page.locator('[data-gatehouse-view=error]').waitFor();
      expect(await page.getByTestId('product').count()).toBe(0);
      await page
        .getByRole('navigation', { name: 'Categories' })
        .getByRole('link', { name: 'Home', exact: true })
        .click();
      await page.getByTestId('home').waitFor();
      const events = (JSON.parse((await telemetry).postData()!) as { events: Record<string, string>[] })
        .events;
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'remote_failed', remoteName: 'product', route: '/product/:id' }),
      );
      expect(failures.join('\n')).toMatch(/integrity/i);
      const report = await doctor(shopDoctorOptions(copy.root));
      expect(report.problems).toEqual([expect.objectContaining({ remote: 'product', check: 'integrity' })]);
    } finally {
      tampered.restore();
    }
    const { page } = await h.journey();
    await page.goto(h.url('/product/prod_earbuds'));
    await page.getByTestId('product').waitFor();
  });
});
