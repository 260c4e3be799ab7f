import { describe, expectTypeOf, it } from 'vitest';
import type { Cart } from '../../examples/shop/src/services/cart/cart-service.js';
import type * as Orders from '../../examples/shop/src/services/orders/orders-service.js';
import type * as Profile from '../../examples/shop/src/services/profile/profile-service.js';
import type { WishlistItem } from '../../packages/react/test/example/wishlist-remote.js';
import type { Order } from '../../packages/remote/test/example/orders-remote.js';

// docs/write-a-remote.md shows these examples verbatim (packages/remote/test/guide.test.ts and
// packages/react/test/guide.test.ts check it). Here they are checked against the reference shop's own API
// types: each example reads only fields its API really answers, with the types it answers them in. A type
// test: `npm run typecheck` runs it.
describe('the examples of docs/write-a-remote.md', () => {
  it('expect what the shop’s APIs answer', () => {
    // GET /api/orders and GET /api/orders/:id
    expectTypeOf<Orders.OrderSummary>().toExtend<Order>();
    expectTypeOf<Orders.Order>().toExtend<Order>();
    // GET /api/profile/wishlist
    expectTypeOf<Profile.WishlistItem>().toExtend<WishlistItem>();
    // POST /api/cart/items answers the cart
    expectTypeOf<Cart>().toExtend<{ itemCount: number }>();
  });
});
