import { describe, expect, it } from 'vitest';
import { RouteTable } from '../src/route-table.js';

describe('RouteTable', () => {
  const table = new RouteTable([
    { path: '/checkout', auth: 'required' },
    { path: '/orders', auth: 'required' },
    { path: '/orders/:id', auth: 'required' },
    { path: '/org/:tenant/*', auth: 'required' },
    { path: '/cart', auth: 'optional' },
  ]);
  it.each([
    ['/checkout', 'required'],
    ['/checkout/', 'required'],
    ['/orders/order_123', 'required'],
    ['/orders/order_123/items', 'public'],
    ['/org/acme/users', 'required'],
    ['/org/acme/billing/invoices/7', 'required'],
    ['/org', 'public'],
    ['/cart', 'optional'],
    ['/', 'public'],
    ['/product/42', 'public'],
  ])('%s → %s', (path, auth) => {
    expect(table.auth(path)).toBe(auth);
  });
});
