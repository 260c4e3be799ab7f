import { describe, expect, it } from 'vitest';
import { createRouteTable, guard, type RouteDefinition, ShellError } from '../src/index.js';
import { alice, anonymous, erin, frank, loading, signedIn } from './fixtures.js';

// The reference shop's routes (docs/http-contract.md#shell-routes).
const shop: RouteDefinition[] = [
  { path: '/', remote: 'home' },
  { path: '/categories/:slug', remote: 'catalog' },
  { path: '/search', remote: 'catalog' },
  { path: '/product/:id', remote: 'product' },
  { path: '/cart', remote: 'cart', auth: 'optional' },
  { path: '/checkout', remote: 'checkout', auth: 'required' },
  { path: '/profile', remote: 'profile', auth: 'required' },
  { path: '/orders', remote: 'orders', auth: 'required', children: [{ path: ':id' }] },
  { path: '/admin', remote: 'admin', roles: ['admin'], children: [{ path: '*' }] },
  {
    path: '/org/:tenant',
    remote: 'org',
    tenantParam: 'tenant',
    children: [
      { path: 'users', permissions: ['users:view'] },
      { path: 'billing', permissions: ['billing:edit'] },
      { path: 'audit-logs', permissions: ['audit:view'] },
    ],
  },
];
const table = createRouteTable(shop);

describe('createRouteTable', () => {
  it('matches deep links with decoded parameters and keeps the query', () => {
    expect(table.match('/orders/order_123?tab=items')).toMatchObject({
      route: { pattern: '/orders/:id', remote: 'orders', auth: 'required' },
      path: '/orders/order_123',
      search: '?tab=items',
      params: { id: 'order_123' },
    });
    expect(table.match('/categories/caf%C3%A9')?.params).toEqual({ slug: 'café' });
    expect(table.match('/')?.route.remote).toBe('home');
    expect(table.match('/orders/')?.route.pattern).toBe('/orders');
  });

  it('nests: children continue the path, inherit the remote and only add requirements', () => {
    const users = table.match('/org/acme/users')!.route;
    expect(users).toMatchObject({
      pattern: '/org/:tenant/users',
      remote: 'org',
      auth: 'required',
      tenantParam: 'tenant',
      permissions: ['users:view'],
    });
    const deepAdmin = table.match('/admin/users/u1/edit')!;
    expect(deepAdmin.route).toMatchObject({
      pattern: '/admin/*',
      remote: 'admin',
      auth: 'required',
      roles: [['admin']],
    });
    expect(deepAdmin.params['*']).toBe('users/u1/edit');
    const strict = createRouteTable([
      {
        path: '/a',
        remote: 'a',
        auth: 'required',
        roles: ['x'],
        children: [{ path: 'b', auth: 'public', roles: ['y'] }],
      },
    ]);
    expect(strict.match('/a/b')?.route).toMatchObject({ auth: 'required', roles: [['x'], ['y']] });
  });

  it('tries children before their parent and answers undefined when nothing matches', () => {
    expect(
      createRouteTable([{ path: '/a', remote: 'p', children: [{ path: '*', remote: 'c' }] }]).match('/a/x')
        ?.route.remote,
    ).toBe('c');
    expect(table.match('/nope')).toBeUndefined();
    expect(table.match('/orders/a/b')).toBeUndefined();
    expect(table.match('/orders/%E0%A4%A')).toBeUndefined(); // malformed escape
  });

  it('refuses a bad table, listing every problem in one error', () => {
    const error = (() => {
      try {
        createRouteTable([
          { path: 'orders', remote: 'orders' },
          { path: '/x', auth: 'maybe' as 'public' },
          { path: '/y', remote: 'y', permissions: ['Orders View' as 'a:b'], extra: 1 } as RouteDefinition,
          { path: '/org/:org/users', remote: 'org', tenantParam: 'tenant' },
        ]);
      } catch (e) {
        return e as ShellError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ShellError);
    expect(error?.code).toBe('GH_SHELL_BAD_ROUTES');
    expect(error?.problems.join('\n')).toMatch(
      /path must start with \/[\s\S]*auth must be[\s\S]*no remote[\s\S]*unknown key "extra"[\s\S]*permissions must be[\s\S]*no :tenant in \/org\/:org\/users/,
    );
    expect(() => createRouteTable({} as RouteDefinition[])).toThrowError(
      expect.objectContaining({ code: 'GH_SHELL_BAD_ROUTES' }),
    );
  });
});

describe('guard', () => {
  const at = (url: string) => table.match(url);

  it('waits while the auth state is unknown, whatever the route', () => {
    expect(guard(at('/checkout'), loading)).toEqual({ kind: 'wait' });
    expect(guard(at('/'), loading)).toEqual({ kind: 'wait' });
  });

  it('renders public and optional routes for everyone', () => {
    for (const state of [
      anonymous,
      alice,
      { status: 'expired', identity: { isAuthenticated: false } } as const,
    ])
      for (const url of ['/', '/product/p1', '/cart', '/search?q=tea'])
        expect(guard(at(url), state)).toEqual({ kind: 'render' });
  });

  it('sends anonymous visitors of a required route to login with the path and query', () => {
    expect(guard(at('/orders/order_123?tab=items'), anonymous)).toEqual({
      kind: 'login',
      returnTo: '/orders/order_123?tab=items',
    });
    expect(guard(at('/admin'), anonymous)).toMatchObject({ kind: 'login' });
  });

  it('after the session ended on the page, says so instead of redirecting', () => {
    expect(guard(at('/profile'), { status: 'expired', identity: { isAuthenticated: false } })).toEqual({
      kind: 'signed-out',
      reason: 'session_expired',
    });
    expect(
      guard(at('/profile'), {
        status: 'logged-out',
        identity: { isAuthenticated: false },
        reason: 'backchannel_logout',
      }),
    ).toEqual({
      kind: 'signed-out',
      reason: 'backchannel_logout',
    });
  });

  it('shows no-access for a signed-in user without the role, the tenant or the permission', () => {
    expect(guard(at('/admin'), alice)).toEqual({ kind: 'no-access', reason: 'role' });
    expect(guard(at('/admin/users'), erin)).toEqual({ kind: 'render' });
    expect(guard(at('/org/acme/users'), frank)).toEqual({ kind: 'no-access', reason: 'tenant' });
    expect(guard(at('/org/globex/users'), frank)).toEqual({ kind: 'render' });
    expect(guard(at('/org/globex/billing'), frank)).toEqual({
      kind: 'no-access',
      reason: 'permission',
      permission: 'billing:edit',
    });
    expect(guard(at('/org/acme/billing'), erin)).toEqual({ kind: 'render' });
    // Global permissions never count inside a tenant (the shared policy's rule).
    const global = signedIn('user_g', {
      permissions: ['users:view'],
      tenants: [{ id: 'acme', roles: [], permissions: [] }],
    });
    expect(guard(at('/org/acme/users'), global)).toMatchObject({ kind: 'no-access', reason: 'permission' });
  });

  it('answers not-found when no route matches', () => {
    expect(guard(undefined, alice)).toEqual({ kind: 'not-found' });
  });
});
