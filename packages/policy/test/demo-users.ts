import { demoRolePermissions, demoTenantRolePermissions } from '@gatehouse/testing/roles';
import { identityFromClaims, type Principal } from '../src/index.js';

const mapping = { roles: demoRolePermissions, tenantRoles: demoTenantRolePermissions };

/** The demo users of docs/http-contract.md#demo-users, built from token-shaped claims exactly as the BFF and APIs build them. */
export const users = {
  alice: identityFromClaims({ sub: 'user_alice', roles: ['customer'] }, mapping),
  bob: identityFromClaims({ sub: 'user_bob', roles: ['customer'] }, mapping),
  carol: identityFromClaims({ sub: 'user_carol', roles: ['support'] }, mapping),
  dave: identityFromClaims({ sub: 'user_dave', roles: ['store_manager'] }, mapping),
  erin: identityFromClaims(
    { sub: 'user_erin', roles: ['admin'], tenants: [{ id: 'acme', roles: ['org_admin'] }] },
    mapping,
  ),
  frank: identityFromClaims(
    { sub: 'user_frank', roles: ['customer'], tenants: [{ id: 'globex', roles: ['member'] }] },
    mapping,
  ),
} satisfies Record<string, Principal>;
