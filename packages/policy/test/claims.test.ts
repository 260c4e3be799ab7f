import { aliceUser, demoRolePermissions, demoTenantRolePermissions } from '@gatehouse/testing/roles';
import { describe, expect, it } from 'vitest';
import { identityFromClaims, permissionsForRoles } from '../src/index.js';

const mapping = { roles: demoRolePermissions, tenantRoles: demoTenantRolePermissions };

describe('identityFromClaims', () => {
  it('builds the contract identity of alice', () => {
    const user = identityFromClaims(
      {
        sub: 'user_alice',
        name: 'Alice',
        roles: ['customer'],
        locale: 'en-IN',
        currency: 'INR',
        email: 'a@x',
      },
      mapping,
    );
    expect(user).toEqual(aliceUser);
  });

  it('gives tenant permissions only inside that tenant', () => {
    const user = identityFromClaims(
      { sub: 'user_frank', roles: ['customer'], tenants: [{ id: 'globex', roles: ['member'] }] },
      mapping,
    );
    expect(user.tenants).toEqual([{ id: 'globex', roles: ['member'], permissions: ['users:view'] }]);
    expect(user.permissions).not.toContain('users:view');
  });

  it('drops malformed claims instead of trusting them', () => {
    const user = identityFromClaims(
      {
        sub: 'u1',
        roles: ['customer', 7, { x: 1 }],
        tenants: [null, { roles: ['member'] }, 'acme'],
        name: 42,
      },
      mapping,
    );
    expect(user.roles).toEqual(['customer']);
    expect(user.tenants).toEqual([]);
    expect(user.displayName).toBe('u1');
  });

  it('refuses claims without a subject', () => {
    expect(() => identityFromClaims({ name: 'x' }, mapping)).toThrow(TypeError);
  });

  it('grants nothing for unknown roles, including prototype keys', () => {
    expect(
      permissionsForRoles(['root', '__proto__', 'constructor', 'toString'], demoRolePermissions),
    ).toEqual([]);
  });
});
