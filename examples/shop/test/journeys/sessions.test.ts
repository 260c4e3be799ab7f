import { describeWith } from '@gatehouse/testing';
import { expect, it } from 'vitest';
import { signInAt, useShopJourneys } from './harness.js';

/**
 * The user's sessions in Chromium: bob signed in in two browsers sees both on his profile (this one marked),
 * and "Sign out everywhere else" signs the other browser out at once, without a reload there.
 */
await describeWith(['chromium'], 'journeys: sessions', () => {
  const h = useShopJourneys();

  it('the profile lists bob’s sessions; “Sign out everywhere else” ends the other browser’s at once', async () => {
    const first = await h.journey();
    const second = await h.journey();
    await signInAt(h.shop, second.page, 'bob', '/orders');
    await second.page.locator('[data-testid=order-row][data-order-id=order_456]').waitFor();
    await signInAt(h.shop, first.page, 'bob', '/profile');
    const rows = first.page.getByTestId('session-row');
    await first.page.getByTestId('sessions').waitFor();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await first.page.locator('[data-testid=session-row][data-current=true]').count()).toBe(1);
    expect(await first.page.getByTestId('sessions').textContent()).toContain('Chrome');

    await first.page.getByTestId('sign-out-others').click();
    await second.page.locator('[data-gatehouse-view=signed-out]').waitFor({ timeout: 5_000 });
    expect(await second.page.locator('main').textContent()).not.toContain('order_456');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await first.page.getByTestId('user-name').textContent()).toContain('Bob');
  }, 90_000);
});
