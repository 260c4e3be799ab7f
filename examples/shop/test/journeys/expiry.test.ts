import { describeWith } from '@gatehouse/testing';
import { expect, it } from 'vitest';
import { atIdp, signInAt, submitLogin, useShopJourneys } from './harness.js';

/** Seconds an access token lives in the second shop: due for refresh after half of it. */
const ACCESS_TOKEN = 4;

/** Seconds of inactivity after which the BFF ends a session in this file's shop (configuration, not a clock trick). */
const IDLE = 6;

/**
 * Session expiry in Chromium (seed §26: "session expires while a remote is open", "session expiry →
 * redirect"), with a short idle timeout set on the BFF: nothing is faked, the BFF ends the session and
 * tells the open tab over its push channel.
 */
await describeWith(['chromium'], 'journeys: session expiry', () => {
  const h = useShopJourneys({ idleTimeout: IDLE });

  it('a session that expires while a remote is open: the user is warned, then the remote is cleared and the user told', async () => {
    const journey = await h.journey();
    const { page } = journey;
    await signInAt(h.shop, page, 'alice', '/orders');
    await page.locator('[data-testid=order-row][data-order-id=order_123]').waitFor();
    // A session this short is always inside the warning window: "Stay signed in" shows at once, and works.
    const warning = page.getByTestId('expiry-warning');
    await warning.waitFor();
    const [extended] = await Promise.all([
      page.waitForResponse((response) => response.url() === h.url('/auth/session/extend')),
      warning.getByRole('button', { name: 'Stay signed in' }).click(),
    ]);
    expect(extended.status()).toBe(200);
    const ended = page.locator('[data-gatehouse-view=signed-out]');
    await ended.waitFor({ timeout: (IDLE + 15) * 1000 });
    expect(await ended.textContent()).toContain('Your session has expired');
    expect(await page.locator('[data-gatehouse-remote=orders]').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('order_123');
    expect(await page.getByTestId('expiry-warning').count()).toBe(0);
    expect(journey.events('auth:session-expiring').length).toBeGreaterThan(0);
    expect(journey.events('auth:session-expired')).toEqual([{}]);
    expect(page.url()).toBe(h.url('/orders'));
    expect(await page.evaluate(() => fetch('/auth/session').then((r) => r.json()))).toEqual({
      isAuthenticated: false,
    });
  }, 60_000);

  it('a form open when the session expires: after signing in again, the checkout shows it as the user left it', async () => {
    const { page, requests } = await h.journey();
    await signInAt(h.shop, page, 'alice', '/checkout');
    const added = await page.evaluate(async () => {
      const headers = { 'x-csrf': '1', 'content-type': 'application/json' };
      const body = JSON.stringify({ productId: 'prod_saree', quantity: 1 });
      return (await fetch('/api/cart/items', { method: 'POST', headers, body })).status;
    });
    expect(added).toBe(200);
    await page.reload();
    await page.getByTestId('checkout').waitFor();
    await page.locator('#address-line1').waitFor();
    await page.fill('#address-line1', '9 Idle Road');

    // Idle past the timeout: the BFF ends the session, the remote's form waits at the BFF, not in the page.
    const ended = page.locator('[data-gatehouse-view=signed-out]');
    await ended.waitFor({ timeout: (IDLE + 15) * 1000 });
    const kept = requests.filter((r) => r.method === 'POST' && r.url === h.url('/auth/pending'));
    await expect.poll(() => kept.map((r) => r.status), { timeout: 10_000 }).toEqual([204]);
    await ended.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => atIdp(h.shop, url.href) || url.pathname === '/checkout');
    if (atIdp(h.shop, page.url())) await submitLogin(h.shop, page, 'alice', '/checkout');

    await page.getByTestId('checkout-kept').waitFor();
    expect(await page.inputValue('#address-line1')).toBe('9 Idle Road');
    expect(page.url()).toBe(h.url('/checkout'));
    // Nothing was placed for the user, and the form never went into a URL.
    expect(requests.filter((r) => r.url.endsWith('/api/checkout/orders'))).toEqual([]);
    expect(requests.filter((r) => /Idle(\+|%20)Road/.test(r.url))).toEqual([]);
    // Taken once: nothing waits any more.
    const left = await page.evaluate(
      async () =>
        (await fetch('/auth/pending/checkout', { method: 'DELETE', headers: { 'x-csrf': '1' } })).status,
    );
    expect(left).toBe(204);
  }, 90_000);

  it('expiry → redirect: from the expired view the user signs in again and is back on the same route', async () => {
    const { page } = await h.journey();
    await signInAt(h.shop, page, 'alice', '/orders/order_123');
    await page.getByTestId('order-detail').waitFor();
    const ended = page.locator('[data-gatehouse-view=signed-out]');
    await ended.waitFor({ timeout: (IDLE + 15) * 1000 });
    await ended.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => atIdp(h.shop, url.href) || url.pathname === '/orders/order_123');
    if (atIdp(h.shop, page.url())) await submitLogin(h.shop, page, 'alice', '/orders/order_123');
    await page.getByTestId('order-detail').waitFor();
    expect(page.url()).toBe(h.url('/orders/order_123'));
  }, 60_000);
});

/**
 * The other way a session ends while a remote is open (seed §26): the identity provider
 * refuses the refresh. Nothing is faked: the refresh token is revoked at the real IdP, the access token
 * really comes due, and the BFF's refresh really fails.
 */
await describeWith(['chromium'], 'journeys: a refresh the identity provider refuses', () => {
  const h = useShopJourneys({ ttl: { AccessToken: ACCESS_TOKEN } });

  it('the next API call ends the session (401 session_expired): the remote is cleared, the user told, then signed in again on the same route', async () => {
    const journey = await h.journey();
    const { page, context } = journey;
    await signInAt(h.shop, page, 'bob', '/orders');
    await page.locator('[data-testid=order-row][data-order-id=order_456]').waitFor();

    const { config, cookies, store } = h.shop.bff.runtime;
    const cookie = (await context.cookies(h.shop.urls.shop)).find((c) => c.name === config.cookieName);
    const session = cookies.session(`${cookie!.name}=${cookie!.value}`) as { id: string };
    const record = await store.get(session.id);
    const revoked = await fetch(`${h.shop.urls.idp}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: record!.tokens.refreshToken!, token_type_hint: 'refresh_token' }),
    });
    expect(revoked.status).toBe(200);
    // Past half the access token's life, the next API call must refresh it first.
    await page.waitForTimeout(ACCESS_TOKEN * 500 + 500);

    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.url() === h.url('/api/orders/order_456')),
      page.locator('[data-testid=order-row][data-order-id=order_456] a').click(),
    ]);
    expect(answer.status()).toBe(401);
    expect(await answer.json()).toMatchObject({ code: 'session_expired' });
    // The BFF's push that the session ended may come before the 401: the flow runs all the same.
    await page.locator('[data-gatehouse-view=expired-notice]').waitFor();
    expect(await store.get(session.id)).toBeUndefined();
    expect(journey.events('auth:session-expired')).toEqual([{}]);

    // The shell sends the user to sign in, coming back to the route; the IdP's own session may still be
    // alive (revoking a refresh token does not end it), so the login form may be skipped.
    await page.waitForURL((url) => atIdp(h.shop, url.href) || url.pathname === '/orders/order_456');
    if (atIdp(h.shop, page.url())) await submitLogin(h.shop, page, 'bob', '/orders/order_456');
    await page.getByRole('heading', { name: 'Order order_456' }).waitFor();
    expect(journey.requests.some((r) => r.url === h.url('/auth/login?returnTo=%2Forders%2Forder_456'))).toBe(
      true,
    );
  }, 60_000);
});
