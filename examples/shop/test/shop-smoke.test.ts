import { describeWith, launchChromium } from '@gatehouse/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningShop, startShop } from '../src/index.js';
import { buildWeb } from '../src/web/build/index.js';

/** Every port picked free: the smoke run never collides with `npm start` or another suite. */
const FREE = { bff: 0, idp: 0, remotes: 0, catalog: 0, cart: 0, checkout: 0, orders: 0, profile: 0, org: 0 };

await describeWith(['chromium'], 'the shop in Chromium (smoke)', () => {
  let shop: RunningShop;
  let browser: Browser;

  beforeAll(async () => {
    await buildWeb();
    [shop, browser] = await Promise.all([
      startShop({ ports: FREE, memory: true, logLevel: 'silent' }),
      launchChromium(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
  });

  it('takes alice from a deep link through the IdP’s form to her orders, and out again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      // A protected route without a session: the BFF sends the browser to sign in before any script runs.
      await page.goto(`${shop.urls.shop}/orders`);
      expect(new URL(page.url()).origin).toBe(shop.urls.idp);
      await page.fill('input[name=login]', 'alice');
      await page.fill('input[name=password]', 'alice');
      await Promise.all([
        page.waitForURL(`${shop.urls.shop}/orders`),
        page.locator('button[type=submit], input[type=submit]').first().click(),
      ]);

      // The shell knows her; the orders remote (from the remotes origin, pinned by integrity) lists order_123.
      await expect.poll(() => page.getByTestId('user-name').textContent()).toBe('Alice');
      await expect.poll(() => page.getByTestId('user-roles').textContent()).toBe('Customer');
      const row = page.locator('[data-testid=order-row][data-order-id=order_123]');
      await row.waitFor();
      expect(await row.textContent()).toContain('delivered');
      expect(await page.locator('[data-testid=order-row]').count()).toBe(1);

      // One order's page, then another customer's order: no access, never a sign-in.
      await row.locator('a').click();
      await page.getByTestId('order-detail').waitFor();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Order order_123');
      await page.goto(`${shop.urls.shop}/orders/order_456`);
      await page.locator('[data-view=no-access]').waitFor();

      // Her page never lists the admin remote; the admin route shows the shell's no-access view.
      expect(await page.content()).not.toContain('/remotes/admin/');
      await page.goto(`${shop.urls.shop}/admin`);
      await page.locator('[data-gatehouse-view=no-access]').waitFor();

      // Sign out ends the session at the BFF: back home, anonymous, and /orders asks to sign in again.
      await page.getByTestId('account-button').click();
      await Promise.all([
        page.waitForURL(`${shop.urls.shop}/`), // through the IdP's end-session page
        page.getByRole('menuitem', { name: 'Sign out' }).click(),
      ]);
      await page.getByTestId('sign-in').waitFor();
      expect(await page.evaluate(() => fetch('/auth/session').then((r) => r.json()))).toEqual({
        isAuthenticated: false,
      });
      await page.goto(`${shop.urls.shop}/orders`);
      expect(new URL(page.url()).origin).toBe(shop.urls.idp);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
