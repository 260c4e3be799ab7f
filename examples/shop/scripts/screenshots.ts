// The README's screenshots (issue 5 item 3): `npm run screenshots` starts the shop on free ports with the
// browser journeys' harness, visits its main pages in the system Chromium at a fixed viewport and writes
// `docs/screenshots/<name>.png`. A generator, not a test: it checks nothing, and CI never runs it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import {
  fillAddress,
  type RunningShopJourneys,
  signInAt,
  startShopJourneys,
} from '../test/journeys/harness.js';

/** `docs/screenshots` at the repository root. */
const OUT = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
/** Every screenshot has this size (the README shows them side by side). */
const VIEWPORT = { width: 1280, height: 800 };

/** Waits until nothing on the page is loading, then writes `docs/screenshots/<name>.png`. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.locator('[aria-busy=true], [data-gatehouse-view=loading], .skeleton').first().waitFor({
    state: 'detached',
  });
  await page.evaluate('document.activeElement?.blur(); document.fonts.ready');
  await page.mouse.move(0, 0);
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  console.log(`wrote ${path}`);
}

/** A visitor, alice's purchase, bob refused alice's order, erin in the admin area and acme's audit log. */
async function takeScreenshots(h: RunningShopJourneys): Promise<void> {
  const visitor = await h.journey({ viewport: VIEWPORT });
  await visitor.page.goto(h.url('/'));
  await visitor.page.getByTestId('home').waitFor();
  await shoot(visitor.page, 'home');
  await visitor.page.goto(h.url('/categories/electronics'));
  await visitor.page.getByTestId('product-card').first().waitFor();
  await shoot(visitor.page, 'category');
  await visitor.page.goto(h.url('/checkout'));
  await visitor.page.locator('input[name=login]').waitFor();
  await shoot(visitor.page, 'sign-in');

  const alice = await h.journey({ viewport: VIEWPORT });
  const { page } = alice;
  await signInAt(h.shop, page, 'alice', '/product/prod_earbuds');
  await page.getByTestId('personal-offer').waitFor();
  await shoot(page, 'product');
  await page.getByTestId('add-to-cart').click();
  await page.getByTestId('cart-count').filter({ hasText: '1' }).waitFor();
  await page.goto(h.url('/product/prod_book_malgudi'));
  await page.getByTestId('add-to-cart').click();
  await page.getByTestId('cart-count').filter({ hasText: '2' }).waitFor();
  await page.goto(h.url('/cart'));
  await page.getByTestId('cart-line').nth(1).waitFor();
  await shoot(page, 'cart');
  await page.getByTestId('to-checkout').click();
  await page.getByTestId('checkout').waitFor();
  await fillAddress(page, 'Alice Rao');
  await shoot(page, 'checkout');
  await page.getByTestId('place-order').click();
  await page.getByTestId('order-placed').waitFor();
  await page.goto(h.url('/orders'));
  await page.getByTestId('order-row').nth(1).waitFor();
  await shoot(page, 'orders');
  await page.goto(h.url('/profile'));
  await page.getByTestId('profile-form').waitFor();
  await shoot(page, 'profile');

  const bob = await h.journey({ viewport: VIEWPORT });
  await signInAt(h.shop, bob.page, 'bob', '/orders/order_123');
  await bob.page.locator('[data-view=no-access]').waitFor();
  await shoot(bob.page, 'order-no-access');

  const erin = await h.journey({ viewport: VIEWPORT });
  await signInAt(h.shop, erin.page, 'erin', '/admin');
  await erin.page.getByTestId('admin-users').waitFor();
  await shoot(erin.page, 'admin');
  await erin.page.goto(h.url('/org/acme/audit-logs'));
  await erin.page.getByTestId('audit-entry').first().waitFor();
  await shoot(erin.page, 'org-audit-log');
}

mkdirSync(OUT, { recursive: true });
const shop = await startShopJourneys();
try {
  await takeScreenshots(shop);
} finally {
  await shop.close();
}
