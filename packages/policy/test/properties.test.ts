import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decide,
  defineCondition,
  type Permission,
  type Principal,
  type Resource,
  type TenantMembership,
} from '../src/index.js';

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const permission: fc.Arbitrary<Permission> = fc
  .tuple(
    fc.constantFrom('orders', 'users', 'billing', 'audit', 'catalog'),
    fc.constantFrom('view', 'edit', 'view_any', 'edit_any', 'delete'),
  )
  .map(([domain, action]) => `${domain}:${action}` as Permission);
const permissions = fc.uniqueArray(permission, { maxLength: 6 });
const tenantId = fc.constantFrom('acme', 'globex', 'initech', 'umbrella', 'hooli');
const userId = fc.constantFrom('user_alice', 'user_bob', 'user_carol', 'u1');
const membership: fc.Arbitrary<TenantMembership> = fc.record({
  id: tenantId,
  roles: fc.array(word, { maxLength: 2 }),
  permissions,
});
const principal: fc.Arbitrary<Principal> = fc.record({
  id: userId,
  roles: fc.array(word, { maxLength: 3 }),
  permissions,
  tenants: fc.array(membership, { maxLength: 4 }),
});
const resource: fc.Arbitrary<Resource | undefined> = fc.option(
  fc.record({
    ownerId: fc.option(userId, { nil: undefined }),
    tenantId: fc.option(tenantId, { nil: undefined }),
  }),
  { nil: undefined },
);

/** The permissions that count for a request: the tenant membership's, or the global ones. */
function held(p: Principal, r: Resource | undefined): readonly Permission[] {
  if (r?.tenantId) return p.tenants.find((t) => t.id === r.tenantId)?.permissions ?? [];
  return p.permissions;
}

const anyOf = (p: Permission) => (p.endsWith('_any') ? p : (`${p}_any` as Permission));

describe('policy properties', () => {
  it('denies whenever no rule grants: neither the permission nor its _any variant is held where it counts', () => {
    fc.assert(
      fc.property(principal, permission, resource, (p, asked, r) => {
        const counted = held(p, r);
        fc.pre(!counted.includes(asked) && !counted.includes(anyOf(asked)));
        expect(decide(p, asked, r).allowed).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('allows only with a grant that matches the rules', () => {
    // Each grant's rule is checked only on the runs that got that grant: every grant must come up.
    const grants = new Set<string>();
    fc.assert(
      fc.property(principal, permission, resource, (p, asked, r) => {
        const decision = decide(p, asked, r);
        // Only allowed runs count: fast-check generates cases until 500 were allowed (and fails if too few are).
        fc.pre(decision.allowed);
        grants.add(decision.grant);
        const counted = held(p, r);
        if (decision.grant === 'any') expect(counted).toContain(anyOf(asked));
        if (decision.grant === 'owner') expect(r?.ownerId).toBe(p.id);
        if (decision.grant === 'permission') expect(r?.ownerId).toBeUndefined();
        if (decision.grant !== 'any') expect(counted).toContain(asked);
      }),
      { numRuns: 500 },
    );
    expect([...grants].sort()).toEqual(['any', 'owner', 'permission']);
  });

  it('never leaks a permission across tenants: other memberships and global permissions change nothing', () => {
    let nonMembers = 0;
    fc.assert(
      fc.property(
        principal,
        permission,
        tenantId,
        fc.array(membership, { maxLength: 4 }),
        permissions,
        fc.option(userId, { nil: undefined }),
        (p, asked, tenant, others, globals, ownerId) => {
          const r: Resource = { tenantId: tenant, ...(ownerId ? { ownerId } : {}) };
          const strangers = others.filter((m) => m.id !== tenant);
          const before = decide(p, asked, r);
          const after = decide(
            { ...p, permissions: globals, tenants: [...strangers, ...p.tenants] },
            asked,
            r,
          );
          // A tenant membership found first is the same one: strangers never have this tenant's id.
          expect(after.allowed).toBe(before.allowed);
          if (!p.tenants.some((m) => m.id === tenant)) {
            nonMembers++;
            expect(before).toMatchObject({ allowed: false, reason: 'not_tenant_member' });
          }
        },
      ),
      { numRuns: 2000 },
    );
    expect(nonMembers).toBeGreaterThan(0);
  });

  it('a member of no tenant is refused every tenant resource, whatever global permissions it holds', () => {
    fc.assert(
      fc.property(principal, permission, tenantId, (p, asked, tenant) => {
        const allPowerful = {
          ...p,
          permissions: [asked, anyOf(asked)],
          tenants: p.tenants.filter((m) => m.id !== tenant),
        };
        expect(decide(allPowerful, asked, { tenantId: tenant }).allowed).toBe(false);
      }),
    );
  });

  it('conditions never turn a denial into an allow', () => {
    fc.assert(
      fc.property(principal, permission, resource, fc.boolean(), (p, asked, r, answer) => {
        const condition = defineCondition('c', ['*'], () => answer);
        fc.pre(!decide(p, asked, r).allowed);
        expect(decide(p, asked, r, [condition]).allowed).toBe(false);
      }),
    );
  });

  it('never throws, whatever it is handed', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (p, asked, r) => {
        const decision = decide(p as Principal, asked as string, r as Resource);
        expect(typeof decision.allowed).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
