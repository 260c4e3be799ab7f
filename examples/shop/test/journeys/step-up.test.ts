import { describeWith } from '@gatehouse/testing';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { SECOND_FACTOR } from '../../src/index.js';
import { fillAddress, type Login, signInAt, useShopJourneys } from './harness.js';

/** The dev IdP's login form again, this time with the security code: the stronger sign-in. */
async function giveSecurityCode(page: Page, idp: string, login: Login, backAt: string): Promise<void> {
  await page.waitForURL((url) => url.origin === idp);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', login);
  await page.fill('input[name=code]', '123456');
  await Promise.all([
    page.waitForURL((url) => url.pathname === backAt),
    page.locator('button[type=submit]').first().click(),
  ]);
}

/** The level of the page's session as the BFF reports it (`GET /auth/session`). */
const levelOf = (page: Page) =>
  page.evaluate(async () => {
    const identity = (await (await fetch('/auth/session')).json()) as {
      session: { acr?: string; authTime?: number };
    };
    return identity.session;
  });

/**
 * Step-up (RFC 9470) in Chromium through the real dev IdP's second factor: an order over ₹20,000 placed after
 * a password-only sign-in makes the checkout API answer 401 insufficient_user_authentication, the BFF turns it
 * into `step_up_required`, the checkout remote leaves the order at the BFF and signs in again with
 * `acr_values`/`max_age`, the dev IdP asks for the security code, and back on /checkout the order is placed
 * once, with the address the user typed.
 */
await describeWith(['chromium'], 'journeys: step-up', () => {
  const h = useShopJourneys();

  it('a large order asks for the security code, then is placed once on the same route with the form as it was', {
    timeout: 180_000,
  }, async () => {
    const { page, requests, pageErrors } = await h.journey();
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    await signInAt(h.shop, page, 'bob', '/checkout');
    expect(await levelOf(page)).toMatchObject({ acr: 'urn:gatehouse:loa:1' });
    const added = await page.evaluate(async () => {
      const headers = { 'x-csrf': '1', 'content-type': 'application/json' };
      const body = JSON.stringify({ productId: 'prod_saree', quantity: 3 });
      return (await fetch('/api/cart/items', { method: 'POST', headers, body })).status;
    });
    expect(added).toBe(200);
    await page.reload();
    await page.getByTestId('checkout').waitFor();
    await fillAddress(page, 'Bob Menon');
    await page.fill('#address-line1', '7 Step-Up Lane');
    const checks = page.getByTestId('checkout-checks');
    await checks.getByText('you will be asked for it').waitFor();

    await page.getByTestId('place-order').click();
    // The shell re-authenticates with what the API asked: acr_values loa:2, max_age as the shop set it.
    await page.waitForURL((url) => url.origin === h.shop.urls.idp);
    const asked = requests
      .filter((request) => request.url.startsWith(`${h.shop.urls.shop}/auth/login?`))
      .at(-1);
    const login = new URL(asked!.url).searchParams;
    expect(login.get('returnTo')).toBe('/checkout');
    expect(login.get('acr_values')).toBe('urn:gatehouse:loa:2');
    expect(login.get('max_age')).toBe(String(SECOND_FACTOR.maxAge));
    expect(await page.locator('input[name=code]').count()).toBe(1);
    await giveSecurityCode(page, h.shop.urls.idp, 'bob', '/checkout');

    // Room for a loaded two-core machine (the whole suite runs beside it); on failure, what the page shows.
    const placed = page.getByTestId('order-placed');
    await placed.waitFor({ timeout: 90_000 }).catch(async (error: Error) => {
      const back = requests.findIndex((r) => r.url.includes('/api/checkout/orders'));
      const after = requests.slice(back).map((r) => `${r.method} ${r.url} ${r.status ?? '…'}`);
      throw new Error(
        [
          error.message,
          `the page shows: ${(await page.locator('body').innerText()).slice(0, 1500)}`,
          `requests from the callback on:\n${after.join('\n')}`,
          `console:\n${consoleLines.join('\n')}`,
          `page errors: ${pageErrors.join('\n')}`,
        ].join('\n'),
      );
    });
    expect(page.url()).toBe(h.url('/checkout'));
    expect(await levelOf(page)).toMatchObject({ acr: 'urn:gatehouse:loa:2' });
    const orderId = (await placed.locator('strong.mono').textContent())!;
    const order = await page.evaluate(
      async (id) => (await fetch(`/api/orders/${id}`, { headers: { 'x-csrf': '1' } })).json(),
      orderId,
    );
    expect(order).toMatchObject({ address: { line1: '7 Step-Up Lane', city: 'Bengaluru' } });
    // Placed once: one refused attempt, one after the security code; the form never went into a URL.
    const posts = requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/checkout/orders'));
    expect(posts.map((r) => r.status)).toEqual([401, 201]);
    expect(requests.filter((r) => r.url.includes('Step-Up') || r.url.includes('Step%20Up'))).toEqual([]);
    // Taken once: nothing waits any more.
    const left = await page.evaluate(
      async () =>
        (await fetch('/auth/pending/checkout', { method: 'DELETE', headers: { 'x-csrf': '1' } })).status,
    );
    expect(left).toBe(204);
  });
});
