// @vitest-environment happy-dom
import { createTestContext, problem, type RemoteContext, type TestContextOptions } from '@gatehouse/remote';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { remote } from './wishlist-remote.js';

const wishlist = [
  {
    productId: 'p_kettle',
    addedAt: '2026-01-05T10:00:00Z',
    product: { name: 'Brass kettle', priceMinor: 249900 },
  },
  { productId: 'p_gone', addedAt: '2026-01-04T10:00:00Z', product: null },
];
const api = {
  'GET /api/profile/wishlist': wishlist,
  'POST /api/cart/items': { itemCount: 3 },
};
const alice = { id: 'user_alice', displayName: 'Alice', permissions: ['checkout:place_order' as const] };

// Mounted as the shell mounts it: into an element of the page (happy-dom), with a test context; `shell`
// overrides some of the context, as a shell that behaves differently would.
const elements = new Set<HTMLElement>();
async function mount(options: TestContextOptions, shell: Partial<RemoteContext> = {}) {
  const context = createTestContext({ route: { path: '/wishlist' }, ...options });
  const element = document.body.appendChild(document.createElement('div'));
  elements.add(element);
  await remote.mount(element, { ...context, ...shell });
  return { context, element };
}
afterEach(async () => {
  for (const element of elements) await remote.unmount(element);
  elements.clear();
});
const button = (element: HTMLElement, label: string) =>
  [...element.querySelectorAll('button')].find((b) => b.textContent === label);

describe('wishlist remote', () => {
  it('loads the wishlist in its effect; "Add to cart" only for who may place orders', async () => {
    const { context, element } = await mount({ identity: alice, api });
    expect(element.textContent).toBe('Loading…');
    await vi.waitFor(() => expect(element.textContent).toContain('Brass kettle'));
    expect(element.textContent).toContain('No longer sold');
    expect(context.requests.map((r) => r.path)).toEqual(['/api/profile/wishlist']);
    button(element, 'Add to cart')!.click();
    await vi.waitFor(() => expect(element.textContent).toContain('Added to your cart.'));
    expect(context.requests.at(-1)).toMatchObject({
      path: '/api/cart/items',
      body: { productId: 'p_kettle' },
    });
    expect(context.emitted.at(-1)).toEqual({ type: 'cart:changed', payload: { itemCount: 3 } });

    const support = await mount({ identity: { ...alice, permissions: ['orders:view_any'] }, api });
    await vi.waitFor(() => expect(support.element.textContent).toContain('Brass kettle'));
    expect(button(support.element, 'Add to cart')).toBeUndefined();
  });

  it('says why the cart refused (409), and no-access for a 403, not-found for a 404: never a login', async () => {
    const full = { ...api, 'POST /api/cart/items': problem(409, 'conflict', 'Only 2 left in stock.') };
    const { element } = await mount({ identity: alice, api: full });
    await vi.waitFor(() => expect(button(element, 'Add to cart')).toBeDefined());
    button(element, 'Add to cart')!.click();
    await vi.waitFor(() => expect(element.textContent).toContain('Only 2 left in stock.'));

    const refused = await mount({ identity: alice, api: { 'GET /api/profile/wishlist': problem(403) } });
    await vi.waitFor(() => expect(refused.element.querySelector('[data-view="no-access"]')).not.toBeNull());
    const missing = await mount({ identity: alice, api: { 'GET /api/profile/wishlist': problem(404) } });
    await vi.waitFor(() => expect(missing.element.querySelector('[data-view="not-found"]')).not.toBeNull());
    expect([...refused.context.logins, ...missing.context.logins]).toEqual([]);
  });

  it('offers an anonymous visitor to sign in, back to this route, and asks the API nothing', async () => {
    const { context, element } = await mount({ api });
    button(element, 'Sign in')!.click();
    expect(context.logins).toEqual(['/wishlist']);
    expect(context.requests).toEqual([]);
  });

  it('forgets the list at logout, and an answer still on its way', async () => {
    const { context, element } = await mount({ identity: alice, api });
    await vi.waitFor(() => expect(element.textContent).toContain('Brass kettle'));
    await remote.update!(context.setIdentity({ isAuthenticated: false }, 'backchannel_logout'), element);
    await vi.waitFor(() => expect(element.querySelector('[data-view="sign-in"]')).not.toBeNull());
    expect(element.textContent).not.toContain('Brass kettle');

    let answer: (items: unknown) => void = () => {};
    const later = new Promise((resolve) => {
      answer = resolve;
    });
    const slow = await mount({ identity: alice, api: { 'GET /api/profile/wishlist': () => later } });
    slow.context.setIdentity({ isAuthenticated: false }, 'user_action');
    answer(wishlist);
    await later;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(slow.element.textContent).not.toContain('Brass kettle');

    // At auth:logged-out itself, before the shell passes the new identity.
    const quiet = await mount({ identity: alice, api }, { onAuthChange: () => () => {} });
    await vi.waitFor(() => expect(quiet.element.textContent).toContain('Brass kettle'));
    quiet.context.setIdentity({ isAuthenticated: false }, 'logout');
    await vi.waitFor(() => expect(quiet.element.textContent).not.toContain('Brass kettle'));
  });
});
