import { describe, expect, it } from 'vitest';
import { can, createPolicy, decide, defineCondition, denyReasons, featureFlag } from '../src/index.js';
import { users } from './demo-users.js';

const { alice, bob, carol, dave, erin, frank } = users;
const order123 = { type: 'order', id: 'order_123', ownerId: 'user_alice' };

describe('decide: the shop rules', () => {
  it('lets an owner read their order with orders:view', () => {
    expect(decide(alice, 'orders:view', order123)).toEqual({ allowed: true, grant: 'owner' });
  });

  it("refuses another customer's order and says why", () => {
    expect(decide(bob, 'orders:view', order123)).toMatchObject({ allowed: false, reason: 'not_owner' });
  });

  it('lets support read any order with orders:view_any', () => {
    expect(decide(carol, 'orders:view', order123)).toEqual({ allowed: true, grant: 'any' });
    expect(can(carol, 'orders:view_any')).toBe(true);
    expect(can(alice, 'orders:view_any')).toBe(false);
  });

  it('checks plain permissions without a resource', () => {
    expect(can(dave, 'catalog:edit')).toBe(true);
    expect(decide(alice, 'catalog:edit')).toMatchObject({ allowed: false, reason: 'missing_permission' });
    expect(can(erin, 'admin:access')).toBe(true);
  });

  it('grants tenant permissions only inside that tenant', () => {
    for (const permission of ['users:view', 'billing:edit', 'audit:view']) {
      expect(decide(erin, permission, { tenantId: 'acme' })).toEqual({
        allowed: true,
        grant: 'permission',
        tenant: 'acme',
      });
      expect(decide(erin, permission, { tenantId: 'globex' })).toMatchObject({ reason: 'not_tenant_member' });
    }
    // Outside any tenant only global roles count: admin's users:view_any, nothing of the org_admin role.
    expect(decide(erin, 'users:view')).toEqual({ allowed: true, grant: 'any' });
    expect(decide(erin, 'billing:edit')).toMatchObject({ reason: 'missing_permission' });
    expect(decide(erin, 'audit:view')).toMatchObject({ reason: 'missing_permission' });
    expect(can(frank, 'users:view', { tenantId: 'globex' })).toBe(true);
    expect(decide(frank, 'billing:edit', { tenantId: 'globex' })).toMatchObject({
      reason: 'missing_tenant_permission',
    });
    expect(decide(frank, 'users:view', { tenantId: 'acme' })).toMatchObject({ reason: 'not_tenant_member' });
  });

  it('denies anonymous users, malformed permissions and unowned-looking resources', () => {
    expect(decide(null, 'orders:view')).toMatchObject({ reason: 'unauthenticated' });
    expect(decide({ ...alice, id: '' }, 'orders:view')).toMatchObject({ reason: 'unauthenticated' });
    expect(decide(alice, 'orders')).toMatchObject({ reason: 'invalid_permission' });
    expect(decide(alice, '__proto__:x')).toMatchObject({ reason: 'invalid_permission' });
    expect(decide(alice, 'orders:view', { ownerId: '' })).toMatchObject({ reason: 'not_owner' });
    expect(decide(alice, 'orders:view', { ownerId: null })).toMatchObject({ reason: 'not_owner' });
    expect(decide(alice, 'orders:view', { tenantId: '' })).toMatchObject({ reason: 'not_tenant_member' });
  });

  it('names no user or resource id in a denial', () => {
    const decision = decide(bob, 'orders:view', order123);
    expect(JSON.stringify(decision)).not.toMatch(/user_|order_123/);
  });

  it('lists every reason', () => {
    expect(denyReasons).toHaveLength(7);
  });
});

describe('conditions (subscription and feature flags)', () => {
  const proPlan = defineCondition(
    'pro_plan',
    ['billing:*'],
    ({ resource }) => resource?.attributes?.plan === 'pro',
  );

  it('can take away what a rule granted, and names itself', () => {
    const policy = createPolicy({ conditions: [proPlan] });
    expect(policy.can(erin, 'billing:edit', { tenantId: 'acme', attributes: { plan: 'pro' } })).toBe(true);
    expect(policy.decide(erin, 'billing:edit', { tenantId: 'acme', attributes: { plan: 'free' } })).toEqual({
      allowed: false,
      reason: 'condition_failed',
      detail: 'condition "pro_plan" does not hold',
      condition: 'pro_plan',
    });
    expect(policy.can(erin, 'users:view', { tenantId: 'acme' })).toBe(true);
  });

  it('never grants what no rule grants', () => {
    const always = defineCondition('always', ['*'], () => true);
    expect(decide(bob, 'catalog:edit', undefined, [always])).toMatchObject({ reason: 'missing_permission' });
  });

  it('treats a throwing condition as not holding', () => {
    const broken = defineCondition('broken', ['orders:view'], () => {
      throw new Error('flag service down');
    });
    expect(decide(alice, 'orders:view', order123, [broken])).toMatchObject({ reason: 'condition_failed' });
  });

  it('reads feature flags from the principal or the request context', () => {
    const flag = featureFlag('new_checkout', ['checkout:*']);
    expect(can(alice, 'checkout:place_order', undefined, [flag])).toBe(false);
    expect(
      can({ ...alice, attributes: { features: ['new_checkout'] } }, 'checkout:place_order', null, [flag]),
    ).toBe(true);
    expect(can(alice, 'checkout:place_order', null, [flag], { features: ['new_checkout'] })).toBe(true);
    expect(can(alice, 'orders:view', null, [flag])).toBe(true);
  });
});
