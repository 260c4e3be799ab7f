import { GatehouseProvider } from '@gatehouse/react';
import { createTestContext } from '@gatehouse/remote';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { remote, Wishlist } from './wishlist-remote.js';

const alice = { id: 'user_alice', displayName: 'Alice', permissions: ['checkout:place_order' as const] };
const render = (context: ReturnType<typeof createTestContext>) =>
  renderToString(
    <GatehouseProvider context={context}>
      <Wishlist />
    </GatehouseProvider>,
  );

describe('wishlist remote', () => {
  it('offers sign-in to an anonymous visitor and asks the API nothing', () => {
    const context = createTestContext();
    expect(render(context)).toContain('Sign in to keep a wishlist.');
    expect(context.requests).toEqual([]);
  });

  it('shows the signed-in user’s list, with "Buy all" only for who may place orders', () => {
    expect(render(createTestContext({ identity: alice }))).toContain('Alice’s wishlist');
    expect(render(createTestContext({ identity: alice }))).toContain('Buy all');
    const support = createTestContext({
      identity: { ...alice, id: 'user_carol', displayName: 'Carol', permissions: ['orders:view_any'] },
    });
    expect(render(support)).toContain('This account cannot place orders.');
  });

  it('is a remote the shell can mount', () => {
    expect(typeof remote.mount).toBe('function');
    expect(typeof remote.unmount).toBe('function');
  });
});
