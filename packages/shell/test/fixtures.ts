import type { IdentityContext } from '@gatehouse/policy';
import type { AuthState } from '../src/index.js';

/** Signed-in identities like the demo users of docs/http-contract.md#demo-users. */
export function signedIn(
  id: string,
  user: Partial<Extract<IdentityContext, { isAuthenticated: true }>['user']> = {},
): Extract<AuthState, { status: 'authenticated' }> {
  return {
    status: 'authenticated',
    identity: {
      isAuthenticated: true,
      user: { id, displayName: id, roles: [], permissions: [], tenants: [], ...user },
      session: { expiresAt: '2030-01-01T00:00:00Z' },
    },
  };
}

export const alice = signedIn('user_alice', {
  roles: ['customer'],
  permissions: ['orders:view', 'profile:edit', 'checkout:place_order'],
});
export const erin = signedIn('user_erin', {
  roles: ['admin'],
  tenants: [{ id: 'acme', roles: ['org_admin'], permissions: ['users:view', 'billing:edit', 'audit:view'] }],
});
export const frank = signedIn('user_frank', {
  roles: ['customer'],
  tenants: [{ id: 'globex', roles: ['member'], permissions: ['users:view'] }],
});
export const anonymous: AuthState = { status: 'anonymous', identity: { isAuthenticated: false } };
export const loading: AuthState = { status: 'loading', identity: { isAuthenticated: false } };

export const SHA = `sha384-${'a'.repeat(64)}`;
export const CDN = 'https://cdn.example';
