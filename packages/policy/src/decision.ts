import type { Condition } from './conditions.js';
import { isPermission, type Permission } from './permissions.js';
import type { Principal, Resource } from './principal.js';

/**
 * Why a request was denied. Stable: APIs log it, UIs may branch on it.
 * - `unauthenticated`: no principal;
 * - `invalid_permission`: the permission asked about is not a `<domain>:<action>` string;
 * - `missing_permission`: no global rule grants it;
 * - `not_tenant_member`: the resource is in a tenant the principal does not belong to;
 * - `missing_tenant_permission`: a member, but the membership does not grant it;
 * - `not_owner`: granted for own resources only, and this one is someone else's;
 * - `condition_failed`: a rule granted but a {@link Condition} (plan, feature flag) did not hold.
 */
export type DenyReason =
  | 'unauthenticated'
  | 'invalid_permission'
  | 'missing_permission'
  | 'not_tenant_member'
  | 'missing_tenant_permission'
  | 'not_owner'
  | 'condition_failed';

/**
 * Every {@link DenyReason}, for exhaustive checks and documentation.
 *
 * @example
 * denyReasons.includes(decision.reason) // true for every denial
 */
export const denyReasons: readonly DenyReason[] = /* @__PURE__ */ Object.freeze([
  'unauthenticated',
  'invalid_permission',
  'missing_permission',
  'not_tenant_member',
  'missing_tenant_permission',
  'not_owner',
  'condition_failed',
]);

/**
 * Which rule granted: `permission` (held as asked, no owner to check), `owner` (held, and the principal owns
 * the resource) or `any` (the `<permission>_any` variant is held).
 */
export type Grant = 'permission' | 'owner' | 'any';

/**
 * The answer of {@link decide}: allowed with the rule that granted, or denied with a coded reason and a short
 * human explanation that names no user or resource id.
 */
export type Decision =
  | { readonly allowed: true; readonly grant: Grant; readonly tenant?: string }
  | {
      readonly allowed: false;
      readonly reason: DenyReason;
      readonly detail: string;
      /** The failed condition's name, with `condition_failed`. */
      readonly condition?: string;
    };

/** Free request context handed to {@link Condition}s (feature-flag service answers, time, ...). */
export type DecisionContext = Readonly<Record<string, unknown>>;

/** Everything {@link decide} looked at; what a {@link Condition} receives. */
export interface AccessRequest {
  readonly principal: Principal;
  readonly permission: Permission;
  readonly resource?: Resource;
  readonly context?: DecisionContext;
}

/** What the rules say, without the human explanation: all that {@link can} needs. */
type Verdict =
  | { readonly allowed: true; readonly grant: Grant; readonly tenant?: string }
  | { readonly allowed: false; readonly reason: DenyReason; readonly condition?: string };

const ANY = '_any';

/**
 * Rules 1–4 of {@link decide}: the {@link Grant}, or, refused, the index of the {@link DenyReason} in
 * {@link denyReasons}. An index rather than the name: {@link allows}, all the browser asks, then carries none
 * of the reasons' names (`decide` names them, on the server).
 */
function rule(
  principal: Principal | null | undefined,
  permission: Permission | string,
  resource?: Resource | null,
): Grant | number {
  if (!principal || typeof principal.id !== 'string' || !principal.id) return 0; // unauthenticated
  if (!isPermission(permission)) return 1; // invalid_permission
  const list = <T = Permission>(value: readonly T[]): readonly T[] => (Array.isArray(value) ? value : []);
  let held = list(principal.permissions);
  const tenant = resource?.tenantId ?? undefined;
  if (tenant !== undefined) {
    const membership = list(principal.tenants).find((candidate) => candidate.id === tenant);
    if (!membership || typeof tenant !== 'string' || !tenant) return 3; // not_tenant_member
    held = list(membership.permissions);
  }
  // missing_permission, or missing_tenant_permission inside a tenant.
  const missing = tenant === undefined ? 2 : 4;
  if (permission.endsWith(ANY)) return held.includes(permission) ? 'any' : missing;
  if (held.includes(`${permission}${ANY}`)) return 'any';
  if (!held.includes(permission)) return missing;
  // With an owner, only the owner (the principal's id is a non-empty string): else not_owner.
  if (resource?.ownerId === undefined) return 'permission';
  return resource.ownerId === principal.id ? 'owner' : 5;
}

/** Every rule of {@link decide}: rules 1–4, then, when they grant, the conditions (rule 5). */
function judge(
  principal: Principal | null | undefined,
  permission: Permission | string,
  resource?: Resource | null,
  conditions: readonly Condition[] = [],
  context?: DecisionContext,
): Verdict {
  const grant = rule(principal, permission, resource);
  if (typeof grant === 'number') return { allowed: false, reason: denyReasons[grant]! };
  const tenant = resource?.tenantId ?? undefined;
  const verdict: Verdict = tenant === undefined ? { allowed: true, grant } : { allowed: true, grant, tenant };
  // Granted: the principal is there and the permission well-formed.
  const asked = permission as Permission;
  const request: AccessRequest = {
    principal: principal as Principal,
    permission: asked,
    ...(resource ? { resource } : {}),
    ...(context ? { context } : {}),
  };
  for (const condition of conditions) {
    let holds = !condition.guards(asked);
    try {
      holds ||= condition.test(request) === true;
    } catch {
      // A throwing condition does not hold.
    }
    if (!holds) return { allowed: false, reason: 'condition_failed', condition: condition.name };
  }
  return verdict;
}

/**
 * The one decision function. Denies by default: a request is allowed only when a rule grants it, then only
 * when every {@link Condition} that guards the permission holds.
 *
 * Rules, in order:
 * 1. no principal: `unauthenticated`; a malformed permission: `invalid_permission`;
 * 2. the permissions that count are the principal's global ones, or, for a resource with a `tenantId`, only
 *    those of its membership of that tenant (none: `not_tenant_member`);
 * 3. `<domain>:<action>_any` grants `<domain>:<action>` on any resource; `<domain>:<action>` grants it on a
 *    resource without owner, or on one the principal owns (someone else's: `not_owner`);
 * 4. asking for an `_any` permission needs exactly that permission.
 *
 * @example
 * decide(bob, 'orders:view', { ownerId: 'user_alice' }) // { allowed: false, reason: 'not_owner', ... }
 * decide(carol, 'orders:view', { ownerId: 'user_alice' }) // { allowed: true, grant: 'any' }
 * decide(frank, 'users:view', { tenantId: 'acme' }) // { allowed: false, reason: 'not_tenant_member', ... }
 */
export function decide(
  principal: Principal | null | undefined,
  permission: Permission | string,
  resource?: Resource | null,
  conditions: readonly Condition[] = [],
  context?: DecisionContext,
): Decision {
  const verdict = judge(principal, permission, resource, conditions, context);
  if (verdict.allowed) return Object.freeze(verdict);
  const { reason, condition } = verdict;
  // Only the permission-related reasons name the permission, which is then a well-formed string.
  const detail =
    reason === 'unauthenticated'
      ? 'no signed-in user'
      : reason === 'invalid_permission'
        ? 'not a <domain>:<action> permission'
        : reason === 'not_tenant_member'
          ? 'the resource belongs to a tenant the user is not a member of'
          : reason === 'not_owner'
            ? `${permission} covers own resources only; others need ${permission}${ANY}`
            : reason === 'condition_failed'
              ? `condition "${condition}" does not hold`
              : `requires ${permission}`;
  return Object.freeze(
    condition === undefined
      ? { allowed: false, reason, detail }
      : { allowed: false, reason, detail, condition },
  );
}

/**
 * {@link decide} as a boolean, for UI and quick checks.
 *
 * @example
 * if (can(identity.user, 'catalog:edit')) showEditButton();
 * can(erin, 'billing:edit', { tenantId: 'acme' }) // true
 */
export function can(
  principal: Principal | null | undefined,
  permission: Permission | string,
  resource?: Resource | null,
  conditions?: readonly Condition[],
  context?: DecisionContext,
): boolean {
  return judge(principal, permission, resource, conditions, context).allowed;
}

/**
 * Whether rules 1–4 of {@link decide} grant `permission`: {@link can} without conditions. What the browser
 * asks (a remote's `context.can`, the route guard's `checkAccess`), where no condition is known; it leaves the
 * conditions' code out of the browser's bundle.
 *
 * @example
 * allows(frank, 'users:view', { tenantId: 'globex' }) // true
 */
export function allows(
  principal: Principal | null | undefined,
  permission: Permission | string,
  resource?: Resource | null,
): boolean {
  return typeof rule(principal, permission, resource) === 'string';
}
