import { describeWith } from '@gatehouse/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../support/postgres.js';
import { fillAddress, signInAt, useShopJourneys } from './harness.js';

/**
 * The shop's APIs on the Postgres server, through the UI: the same order journey as on PGlite, with the
 * whole shop started on a database of its own (`gh_test_<random>`, dropped afterwards).
 */
await describeWith(['chromium', 'postgres'], 'journeys: the shop on a Postgres server', () => {
  let database: TestPostgresDatabase | undefined;
  beforeAll(async () => {
    database = await createTestPostgresDatabase();
  });
  // Registered before the shop's hooks, so it runs after the shop has closed its pool.
  afterAll(async () => {
    await database?.drop();
  });
  const h = useShopJourneys(() => ({ databaseUrl: database!.url }));

  it('journey: login → cart → checkout → the order in the orders remote, stored on the server', async () => {
    expect(h.shop.db.kind).toBe('postgres');
    const { page } = await h.journey();
    await signInAt(h.shop, page, 'alice', '/product/prod_yoga_mat');
    await page.getByTestId('add-to-cart').click();
    await page.getByTestId('cart-count').filter({ hasText: '1' }).waitFor();
    await page.getByTestId('cart-link').click();
    await page.getByTestId('to-checkout').click();
    await page.getByTestId('checkout').waitFor();
    await fillAddress(page, 'Alice Rao');
    await page.getByTestId('place-order').click();
    const orderId = (await page.getByTestId('order-placed').locator('strong.mono').textContent())!;
    await page.goto(h.url('/orders'));
    await page.locator(`[data-testid=order-row][data-order-id="${orderId}"]`).waitFor();
    const [row] = await h.shop.db.query<{ owner_id: string }>(
      'SELECT owner_id FROM orders.orders WHERE id = $1',
      [orderId],
    );
    expect(row?.owner_id).toBe('user_alice');
    const [stock] = await h.shop.db.query<{ stock: number }>(
      `SELECT stock FROM catalog.products WHERE id = 'prod_yoga_mat'`,
    );
    expect(stock?.stock).toBe(109);
  });
});
