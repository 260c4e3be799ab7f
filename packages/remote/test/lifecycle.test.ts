import { anonymousIdentity } from '@gatehouse/policy';
import { describe, expect, it, vi } from 'vitest';
import {
  createTestContext,
  defineRemote,
  ForbiddenError,
  NotFoundError,
  problem,
  type RemoteContext,
  type RemoteLifecycle,
  UnauthenticatedError,
} from '../src/index.js';

describe('defineRemote', () => {
  it('returns the lifecycle frozen', () => {
    const remote = defineRemote({ mount() {}, unmount() {} });
    expect(Object.isFrozen(remote)).toBe(true);
  });

  it('refuses unknown keys and missing or non-function lifecycles, listing every problem', () => {
    expect(() =>
      defineRemote({ mount() {}, unmount: 'no', bootstrap() {} } as unknown as RemoteLifecycle),
    ).toThrowError(/unknown key "bootstrap".*unmount is not a function/);
    expect(() =>
      defineRemote({ mount() {}, unmount() {}, update: 1 } as unknown as RemoteLifecycle),
    ).toThrowError(expect.objectContaining({ code: 'GH_REMOTE_BAD_LIFECYCLE' }));
    expect(() => defineRemote(null as unknown as RemoteLifecycle)).toThrowError(/not an object/);
  });
});

describe('createTestContext', () => {
  it('is anonymous by default: can() is false, identity frozen', () => {
    const context = createTestContext();
    expect(context.identity).toEqual(anonymousIdentity);
    expect(context.can('orders:view')).toBe(false);
    expect(Object.isFrozen(context)).toBe(true);
  });

  it('makes up a signed-in user from permissions, and can() runs the shared policy', () => {
    const context = createTestContext({ permissions: ['orders:view'] });
    expect(context.identity.isAuthenticated).toBe(true);
    expect(context.can('orders:view')).toBe(true);
    expect(context.can('orders:view', { ownerId: 'user_test' })).toBe(true);
    expect(context.can('orders:view', { ownerId: 'user_bob' })).toBe(false);
    expect(context.can('catalog:edit')).toBe(false);
  });

  it('takes a partial user (tenants included) or a full identity context', () => {
    const frank = createTestContext({
      identity: {
        id: 'user_frank',
        tenants: [{ id: 'globex', roles: ['member'], permissions: ['users:view'] }],
      },
    });
    expect(frank.can('users:view', { tenantId: 'globex' })).toBe(true);
    expect(frank.can('users:view', { tenantId: 'acme' })).toBe(false);
    const full = createTestContext({
      identity: {
        isAuthenticated: true,
        user: { id: 'u', displayName: 'U', roles: [], permissions: ['profile:edit'], tenants: [] },
        session: { expiresAt: '2030-01-01T00:00:00Z' },
      },
    });
    expect(full.can('profile:edit')).toBe(true);
    expect(Object.isFrozen(full.identity.isAuthenticated && full.identity.user.permissions)).toBe(true);
  });

  it('answers API calls from handlers through the real client, so 401/403/404 map as in the app', async () => {
    const context = createTestContext({
      permissions: ['orders:view'],
      api: {
        'GET /api/orders/:id': ({ params }) =>
          params.id === 'order_123'
            ? { id: 'order_123' }
            : params.id === 'order_456'
              ? problem(403)
              : problem(404),
        'POST /api/cart/items': ({ body }) => ({ added: body }),
        'GET /api/profile': problem(401, 'session_expired'),
        'GET /api/catalog/products': [{ id: 'p1' }],
      },
    });
    expect(await context.api.get('/api/orders/order_123')).toEqual({ id: 'order_123' });
    await expect(context.api.get('/api/orders/order_456')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(context.api.get('/api/orders/nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(context.api.get('/api/profile')).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(context.api.get('/api/unknown')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    expect(await context.api.post('/api/cart/items', { productId: 'p1' })).toEqual({
      added: { productId: 'p1' },
    });
    expect(await context.api.get('/api/catalog/products?page=2')).toEqual([{ id: 'p1' }]);
    expect(context.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/orders/order_123',
      'GET /api/orders/order_456',
      'GET /api/orders/nope',
      'GET /api/profile',
      'GET /api/unknown',
      'POST /api/cart/items',
      'GET /api/catalog/products',
    ]);
    expect(context.requests.at(-1)?.query.get('page')).toBe('2');
  });

  it('records events (tokens refused like in the app), logins and navigations', () => {
    const context = createTestContext({ route: { path: '/orders/order_123', search: '?tab=items' } });
    context.events.emit('orders:viewed', { id: 'order_123' });
    expect(() => context.events.emit('orders:viewed', { idToken: 'x' })).toThrow();
    expect(() => context.events.emit('auth:logged-out', { reason: 'user_action' })).toThrow();
    context.login();
    context.navigate('/orders');
    expect(context.emitted).toEqual([{ type: 'orders:viewed', payload: { id: 'order_123' } }]);
    expect(context.logins).toEqual(['/orders/order_123?tab=items']);
    expect(context.navigations).toEqual(['/orders']);
  });

  it('setIdentity notifies onAuthChange listeners, emits the auth events and returns the next context', () => {
    const context = createTestContext({ permissions: ['orders:view'] });
    const changes = vi.fn();
    const loggedOut = vi.fn();
    context.onAuthChange(changes);
    context.events.on('auth:logged-out', loggedOut);
    const next: RemoteContext = context.setIdentity(anonymousIdentity, 'backchannel_logout');
    expect(next.identity.isAuthenticated).toBe(false);
    expect(next.can('orders:view')).toBe(false);
    expect(changes).toHaveBeenCalledWith(anonymousIdentity);
    expect(loggedOut).toHaveBeenCalledWith({ reason: 'backchannel_logout' });
    expect(context.emitted.map((e) => e.type)).toEqual(['auth:logged-out', 'auth:identity-changed']);
  });
});
