/**
 * A permission: `<domain>:<action>`, lower-case letters, digits and `_` on each side
 * (`orders:view`, `orders:view_any`, `catalog:edit`).
 */
export type Permission = `${string}:${string}`;

/**
 * The grammar of a permission as a pattern (JSON Schema `pattern`, `new RegExp`): what the option schemas and
 * parsers of the BFF and the API check, the same as {@link isPermission} (test/permissions.test.ts).
 */
export const permissionPattern = '^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$';

// Written out again as a literal: built from `permissionPattern` (`new RegExp`) or giving it (`.source`), it
// costs the shell's bundle 15 B or 6 B (npm run size), as the bundler keeps what it cannot prove unused.
const PERMISSION = /^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/;

/** The grammar of a role name in a role map (`customer`, `tenant.admin`): 1 to 64 of `A-Za-z0-9_.:-`. */
export const roleNamePattern = '^[A-Za-z0-9_.:-]{1,64}$';

/** True when `value` is a well-formed permission string. */
export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && value.length <= 128 && PERMISSION.test(value);
}

/** Role → the permissions it grants. Deployments configure their own. */
export type RolePermissionMap = Readonly<Record<string, readonly Permission[]>>;

/**
 * The permissions a set of roles grants under `map`, sorted and without duplicates.
 * Roles the map does not know grant nothing (deny by default).
 *
 * @example
 * permissionsForRoles(['customer'], shopRolePermissions) // ['checkout:place_order', 'orders:view', 'profile:edit']
 */
export function permissionsForRoles(roles: readonly string[], map: RolePermissionMap): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles) {
    if (!Object.hasOwn(map, role)) continue;
    for (const permission of map[role] ?? []) granted.add(permission);
  }
  return [...granted].sort();
}
