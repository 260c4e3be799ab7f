/**
 * A permission: `<domain>:<action>`, lower-case letters, digits and `_` on each side
 * (`orders:view`, `orders:view_any`, `catalog:edit`).
 */
export type Permission = `${string}:${string}`;

const PERMISSION = /^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/;

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
