import { describe, expect, it } from 'vitest';
import { isPermission, permissionPattern, roleNamePattern } from '../src/index.js';

// The BFF's and the API's option schemas check permissions with `permissionPattern`, the policy with
// `isPermission`: the two must agree on what a permission is.
describe('the permission and role-name patterns', () => {
  it.each([
    ['orders:view', true],
    ['orders:view_any', true],
    ['catalog2:edit', true],
    ['Orders:view', false],
    ['orders:', false],
    [':view', false],
    ['orders:view:all', false],
    ['orders view', false],
    ['_orders:view', false],
  ])('%s is a permission: %s, by both', (value, expected) => {
    expect(isPermission(value)).toBe(expected);
    expect(new RegExp(permissionPattern).test(value)).toBe(expected);
  });

  it.each([
    ['customer', true],
    ['tenant.admin', true],
    ['urn:role-1', true],
    ['', false],
    ['a b', false],
    ['x'.repeat(65), false],
  ])('%j is a role name: %s', (value, expected) => {
    expect(new RegExp(roleNamePattern).test(value)).toBe(expected);
  });
});
