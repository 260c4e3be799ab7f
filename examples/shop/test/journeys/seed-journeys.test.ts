import { describeWith } from '@gatehouse/testing';
import { expect, it } from 'vitest';
import {
  atIdp,
  fetchStatus,
  fillAddress,
  importMaps,
  signInAt,
  signOut,
  submitLogin,
  until,
  useShopJourneys,
} from './harness.js';

/**
 * Every test case and E2E journey of the seed's section 26 ("Testing Auth in Micro Frontends"), in the real
 * Chromium against the whole shop (BFF, dev IdP, six APIs, remotes origin; PGlite in memory). After each
 * journey the harness scans the browser for tokens (leak-scan.ts).
 */
await describeWith(['chromium'], 'journeys: the seed’s auth test cases (§26)', () => {
  const h = useShopJourneys();

  it('an unauthenticated user on a protected route is sent to sign in before any script runs; an optional route offers it', async () => {
    const { page, requests } = await h.journey();
    await page.goto(h.url('/checkout'));
    expect(atIdp(h.shop, page.url())).toBe(true);
    expect(requests[0]).toMatchObject({ url: h.url('/checkout'), status: 302 });
    expect(requests[1]).toMatchObject({ url: h.url('/auth/login?returnTo=%2Fcheckout'), status: 302 });
    expect(requests.filter((request) => request.url.startsWith(h.url('/shell/')))).toEqual([]);
    // The cart is "optional": anonymous visitors see a prompt, not a redirect.
    await page.goto(h.url('/cart'));
    await page.getByTestId('cart-sign-in').waitFor();
    expect(page.url()).toBe(h.url('/cart'));
  });

  it('a user who logs in returns to the original route, deep or public, query included', async () => {
    const { page } = await h.journey();
    // From a protected deep link, through the IdP's form…
    await page.goto(h.url('/orders/order_123?from=email'));
    await submitLogin(h.shop, page, 'alice', '/orders/order_123?from=email');
    await page.getByTestId('order-detail').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Order order_123');
    await signOut(h.shop, page);
    // …and from a public page with the header's Sign in: back on that product, now with the personal offer.
    await page.goto(h.url('/product/prod_speaker'));
    await page.getByTestId('product').waitFor();
    expect(await page.getByTestId('personal-offer').count()).toBe(0);
    await page.getByTestId('sign-in').click();
    await submitLogin(h.shop, page, 'alice', '/product/prod_speaker');
    await page.getByTestId('personal-offer').waitFor();
    await page.getByTestId('wishlist-button').waitFor();
  });

  it('a deep link to a protected nested route works after sign-in (erin, /org/acme/audit-logs)', async () => {
    const { page } = await h.journey();
    await page.goto(h.url('/org/acme/audit-logs'));
    await submitLogin(h.shop, page, 'erin', '/org/acme/audit-logs');
    await page.getByTestId('org-audit').waitFor();
    expect(await page.getByTestId('audit-entry').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-gatehouse-remote=org]').count()).toBe(1);
  });

  it('a remote receiving 403 from its API shows no access while the shell stays (bob on alice’s order); 404 shows not found', async () => {
    const { page, requests } = await h.journey();
    await signInAt(h.shop, page, 'bob', '/orders/order_123');
    await page.locator('[data-testid=order-error] [data-view=no-access]').waitFor();
    expect(requests.find((r) => r.url === h.url('/api/orders/order_123'))?.status).toBe(403);
    // Signed in, not allowed: never sent to sign in again, and the header still knows him.
    expect(page.url()).toBe(h.url('/orders/order_123'));
    expect(await page.getByTestId('user-name').textContent()).toBe('Bob');
    expect(await page.getByText('Order order_123').count()).toBe(0);
    await page.goto(h.url('/orders/order_nope'));
    await page.locator('[data-testid=order-error] [data-view=not-found]').waitFor();
    expect(requests.find((r) => r.url === h.url('/api/orders/order_nope'))?.status).toBe(404);
    // His own order is there.
    await page.goto(h.url('/orders/order_456'));
    await page.getByTestId('order-detail').waitFor();
  });

  it('logout clears the shell’s and the remotes’ state: header, cart badge, session at the BFF; remotes are told', async () => {
    const journey = await h.journey();
    const { page, context } = journey;
    await signInAt(h.shop, page, 'bob', '/product/prod_bottle');
    await page.getByTestId('add-to-cart').click();
    await page.getByTestId('cart-count').filter({ hasText: '1' }).waitFor();
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Orders' }).click();
    await page.locator('[data-testid=order-row][data-order-id=order_456]').waitFor();
    const cookieName = h.shop.bff.runtime.config.cookieName;
    const cookie = (await context.cookies(h.shop.urls.shop)).find((c) => c.name === cookieName);
    const session = h.shop.bff.runtime.cookies.session(`${cookieName}=${cookie?.value}`);
    expect(session.kind).toBe('id');

    await signOut(h.shop, page);
    // Told once; the reason is the BFF's ('logout', by the push channel) when it comes before the shell's own.
    expect(journey.events('auth:logged-out')).toEqual([
      { reason: expect.stringMatching(/^(user_action|logout)$/) },
    ]);
    expect(await page.getByTestId('user-name').count()).toBe(0);
    expect(await page.getByTestId('cart-count').count()).toBe(0);
    await page.getByTestId('home').waitFor();
    expect(await page.evaluate(() => fetch('/auth/session').then((r) => r.json()))).toEqual({
      isAuthenticated: false,
    });
    // Gone from the store, and the cookie is gone from the browser.
    expect(await h.shop.bff.runtime.store.get((session as { id: string }).id)).toBeUndefined();
    expect((await context.cookies(h.shop.urls.shop)).filter((c) => c.name === cookieName)).toEqual([]);
  });

  it('role-based UI: the account menu, the orders view and the profile follow each user’s roles', async () => {
    const erin = await h.journey();
    await signInAt(h.shop, erin.page, 'erin', '/');
    expect(await erin.page.getByTestId('user-roles').textContent()).toBe('Admin');
    await erin.page.getByTestId('account-button').click();
    await erin.page.getByRole('menuitem', { name: 'Admin area' }).waitFor();
    await erin.page.getByRole('menuitem', { name: 'Organisation: acme' }).waitFor();

    const alice = await h.journey();
    await signInAt(h.shop, alice.page, 'alice', '/profile');
    expect(await alice.page.getByTestId('user-roles').textContent()).toBe('Customer');
    await alice.page.getByTestId('profile-form').waitFor();
    await alice.page.getByTestId('account-button').click();
    await alice.page.getByRole('menuitem', { name: 'Your orders' }).waitFor();
    expect(await alice.page.getByRole('menuitem', { name: 'Admin area' }).count()).toBe(0);
    expect(await alice.page.getByRole('menuitem', { name: /^Organisation/ }).count()).toBe(0);

    // Support: every customer's orders with a customer column; the profile is read-only (no profile:edit).
    const carol = await h.journey();
    await signInAt(h.shop, carol.page, 'carol', '/orders');
    await carol.page.getByRole('heading', { name: 'Customer orders' }).waitFor();
    await carol.page.getByRole('columnheader', { name: 'Customer' }).waitFor();
    await carol.page.goto(h.url('/profile'));
    await carol.page.getByTestId('profile-readonly').waitFor();
    expect(await carol.page.getByTestId('profile-form').count()).toBe(0);
    // Three users signed in in Chromium, one after another: 23 s in a busy CI run on two cores, against the
    // 30-s default. A runner timeout, not a speed claim.
  }, 90_000);

  it('a normal user is denied the admin remote: no-access view, its code never requested nor in the page, 403 if asked', async () => {
    for (const login of ['alice', 'frank'] as const) {
      const { page, requests } = await h.journey();
      await signInAt(h.shop, page, login, '/admin');
      await page.locator('[data-gatehouse-view=no-access]').waitFor();
      expect(await page.getByTestId('admin').count()).toBe(0);
      expect(requests.filter((r) => r.url.includes('/remotes/admin/'))).toEqual([]);
      expect(await importMaps(page)).not.toContain('/remotes/admin/');
      expect(await page.content()).not.toContain('/remotes/admin/');
      const admin = h.shop.web.built.remotes.find((remote) => remote.name === 'admin')!;
      expect(await fetchStatus(page, admin.entry)).toBe(403);
      expect(await fetchStatus(page, '/api/admin/users', { headers: { 'x-csrf': '1' } })).toBe(403);
    }
  });

  it('an admin is allowed the admin page: the user directory, its code served by the BFF', async () => {
    const { page, requests } = await h.journey();
    await signInAt(h.shop, page, 'erin', '/admin');
    await page.getByTestId('admin-users').waitFor();
    expect(await page.getByTestId('admin-user').count()).toBeGreaterThanOrEqual(6);
    const code = requests.filter((r) => r.url.startsWith(h.url('/remotes/admin/')));
    expect(code.length).toBeGreaterThan(0);
    expect(code.every((r) => r.status === 200)).toBe(true);
  });

  it('journey: login → profile (sign in from the header, edit the profile, the change is kept)', async () => {
    const { page } = await h.journey();
    await page.goto(h.url('/'));
    await page.getByTestId('home').waitFor();
    await page.getByTestId('sign-in').click();
    await submitLogin(h.shop, page, 'alice', '/');
    await page.getByTestId('account-button').click();
    await page.getByRole('menuitem', { name: 'Your profile' }).click();
    await page.getByTestId('profile-form').waitFor();
    await page.fill('#profile-phone', '98860 55555');
    await page.getByTestId('profile-save').click();
    await page.getByText('Your profile is saved.').waitFor();
    await page.reload();
    await until(
      async () =>
        (await page
          .locator('#profile-phone')
          .inputValue()
          .catch(() => '')) === '98860 55555',
      'the saved phone number after a reload',
    );
  });

  it('journey: login → checkout (sign in for /checkout, fill the cart, place the order, see it in the orders)', async () => {
    const { page } = await h.journey();
    await page.goto(h.url('/checkout'));
    await submitLogin(h.shop, page, 'alice', '/checkout');
    await page.locator('[data-gatehouse-remote=checkout] [data-view=empty]').waitFor();
    await page.goto(h.url('/product/prod_bottle'));
    await page.getByTestId('add-to-cart').click();
    await page.getByTestId('cart-count').filter({ hasText: '1' }).waitFor();
    await page.getByTestId('cart-link').click();
    await page.getByTestId('cart-line').waitFor();
    await page.getByTestId('to-checkout').click();
    await page.getByTestId('checkout').waitFor();
    await fillAddress(page, 'Alice Rao');
    await page.getByTestId('place-order').click();
    const placed = page.getByTestId('order-placed');
    await placed.waitFor();
    const orderId = (await placed.locator('strong.mono').textContent())!;
    expect(orderId).toMatch(/^order_/);
    expect(await page.getByTestId('cart-count').count()).toBe(0);
    await placed.getByRole('link', { name: 'View the order' }).click();
    await page.getByRole('heading', { name: `Order ${orderId}` }).waitFor();
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Orders' }).click();
    await page.locator(`[data-testid=order-row][data-order-id="${orderId}"]`).waitFor();
  });

  it('journey: logout → a protected route is blocked (sent to sign in, no shell code, API 401)', async () => {
    const journey = await h.journey();
    const { page } = journey;
    await signInAt(h.shop, page, 'alice', '/orders');
    await page.getByTestId('orders-list').waitFor();
    await signOut(h.shop, page);
    expect(await fetchStatus(page, '/api/orders', { headers: { 'x-csrf': '1' } })).toBe(401);
    // In a new tab of the same browser: the BFF answers the navigation with a redirect, no shell code loads.
    const tab = await journey.newPage();
    const loaded: string[] = [];
    tab.on('request', (request) => loaded.push(request.url()));
    const answer = await tab.goto(h.url('/orders'));
    expect(atIdp(h.shop, tab.url())).toBe(true);
    await tab.locator('input[name=login]').waitFor();
    let first = answer!.request();
    while (first.redirectedFrom()) first = first.redirectedFrom()!;
    expect(first.url()).toBe(h.url('/orders'));
    expect((await first.response())?.status()).toBe(302);
    expect(loaded.filter((url) => url.startsWith(h.shop.urls.shop) && !url.includes('/auth/login'))).toEqual([
      h.url('/orders'),
    ]);
  });
});
