import { describeWith } from '@gatehouse/testing';
import { expect, it } from 'vitest';
import { atIdp, signInAt, submitLogin, useShopJourneys } from './harness.js';

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
