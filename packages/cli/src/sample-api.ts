import { authorize, gatehouseApi, requirePermission, requirePrincipal } from '@gatehouse/api';
import type { RolePermissionMap } from '@gatehouse/policy';
import Fastify, { type FastifyInstance } from 'fastify';

/** Options of {@link createSampleApi}. */
export interface SampleApiOptions {
  /** The issuer whose access tokens it accepts. */
  readonly issuer: string;
  /** The audience it accepts; default `urn:gatehouse:shop`. */
  readonly audience?: string;
}

/**
 * The demo's role map: what the dev IdP's demo users may do in the sample API. `gatehouse demo` gives it to the
 * BFF (the identity the page shows) and to the sample API (what it enforces); nothing is granted without one.
 */
export const sampleRoleMaps = Object.freeze({
  roles: Object.freeze({
    customer: ['orders:view'],
    support: ['orders:view', 'orders:view_any'],
    admin: ['orders:view', 'orders:view_any', 'admin:access'],
  }),
  tenantRoles: Object.freeze({ org_admin: ['users:view'], member: ['users:view'] }),
} satisfies { roles: RolePermissionMap; tenantRoles: RolePermissionMap });

const orders = new Map([
  ['order_123', { id: 'order_123', ownerId: 'user_alice', total: 2499, currency: 'INR' }],
  ['order_456', { id: 'order_456', ownerId: 'user_bob', total: 999, currency: 'INR' }],
]);

/**
 * The small domain API of `gatehouse demo`: it accepts only bearer JWTs from the issuer and enforces the
 * shared policy. `GET /me` answers who the token says you are; `GET /orders/:id` shows the 403/404 rules.
 *
 * @example
 * const api = await createSampleApi({ issuer: 'http://localhost:4001' });
 * await api.listen({ port: 4101, host: '127.0.0.1' });
 */
export async function createSampleApi(options: SampleApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(gatehouseApi, {
    issuer: options.issuer,
    audience: options.audience ?? 'urn:gatehouse:shop',
    ...sampleRoleMaps,
  });
  app.get('/health', { config: { auth: 'public' } }, async () => ({ ok: true }));
  app.get('/me', async (request) => {
    const me = requirePrincipal(request);
    return { id: me.sub, roles: me.roles, permissions: me.permissions, tenants: me.tenants };
  });
  app.get('/orders', { preHandler: requirePermission('orders:view') }, async (request) => {
    const me = requirePrincipal(request);
    return [...orders.values()].filter((order) => app.gatehouse.policy.can(me, 'orders:view', order));
  });
  app.get<{ Params: { id: string } }>(
    '/orders/:id',
    { preHandler: requirePermission('orders:view') },
    async (request) => authorize(request, 'orders:view', orders.get(request.params.id), { type: 'order' }),
  );
  return app;
}
