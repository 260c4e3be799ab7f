import { createTestContext, problem } from '@gatehouse/remote';
import { describe, expect, it } from 'vitest';
import { cachedOrders, ordersView, remote } from './orders-remote.js';

const order123 = {
  id: 'order_123',
  ownerId: 'user_alice',
  status: 'delivered',
  totalMinor: 129900,
  currency: 'INR',
} as const;
const orders = {
  'GET /api/orders': [order123],
  'GET /api/orders/:id': ({ params }: { params: Readonly<Record<string, string>> }) =>
    params.id === 'order_123'
      ? order123
      : params.id === 'order_456'
        ? problem(403, 'forbidden')
        : problem(404, 'not_found'),
};
const alice = { id: 'user_alice', displayName: 'Alice', permissions: ['orders:view' as const] };

describe('orders remote', () => {
  it('lists the signed-in user’s orders', async () => {
    const context = createTestContext({ identity: alice, api: orders });
    expect(await ordersView(context)).toEqual({ kind: 'list', orders: [order123] });
  });

  it('shows one order, with the assistance panel only for support on a customer’s order', async () => {
    const route = { params: { id: 'order_123' } };
    const customer = createTestContext({ identity: alice, api: orders, route });
    expect(await ordersView(customer)).toEqual({ kind: 'order', order: order123, assisting: false });
    const support = createTestContext({
      identity: { id: 'user_carol', displayName: 'Carol', permissions: ['orders:view', 'orders:view_any'] },
      api: orders,
      route,
    });
    expect(await ordersView(support)).toEqual({ kind: 'order', order: order123, assisting: true });
  });

  it('turns the API’s 403 into no-access and 404 into not-found', async () => {
    const other = createTestContext({ identity: alice, api: orders, route: { params: { id: 'order_456' } } });
    expect(await ordersView(other)).toEqual({ kind: 'no-access' });
    const none = createTestContext({ identity: alice, api: orders, route: { params: { id: 'order_999' } } });
    expect(await ordersView(none)).toEqual({ kind: 'not-found' });
  });

  it('asks anonymous visitors to sign in, and calls no API without the permission', async () => {
    expect(await ordersView(createTestContext({ api: orders }))).toEqual({ kind: 'sign-in' });
    const noPermission = createTestContext({ identity: { id: 'user_x' }, api: orders });
    expect(await ordersView(noPermission)).toEqual({ kind: 'no-access' });
    expect(noPermission.requests).toEqual([]);
  });

  it('treats a 401 as the shell’s business', async () => {
    const expired = createTestContext({
      identity: alice,
      api: { 'GET /api/orders': problem(401, 'session_expired') },
    });
    expect(await ordersView(expired)).toEqual({ kind: 'sign-in' });
  });

  it('forgets what it holds about the user at unmount', async () => {
    const context = createTestContext({
      identity: alice,
      api: orders,
      route: { params: { id: 'order_123' } },
    });
    await ordersView(context);
    expect(cachedOrders()).toBe(1);
    await remote.unmount({ replaceChildren() {} } as unknown as HTMLElement);
    expect(cachedOrders()).toBe(0);
  });
});
