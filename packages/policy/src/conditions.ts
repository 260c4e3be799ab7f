import type { AccessRequest } from './decision.js';
import type { Permission } from './permissions.js';

/**
 * A pattern of permissions a {@link Condition} guards: one permission (`billing:edit`), every action of a
 * domain (`billing:*`), or every permission (`*`).
 */
export type PermissionPattern = Permission | `${string}:*` | '*';

/**
 * The extension point for subscription and feature-flag rules. A condition can only take away: it runs
 * after a rule granted and turns the answer into `condition_failed` when `test` is not `true` (a throw counts
 * as not `true`). It never grants what the rules did not.
 *
 * @example
 * const proPlan = defineCondition('pro_plan', ['billing:edit'], ({ resource }) => resource?.attributes?.plan === 'pro');
 */
export interface Condition {
  /** Short name, reported with `condition_failed`. */
  readonly name: string;
  /** True when this condition applies to `permission`. */
  readonly guards: (permission: Permission) => boolean;
  /** True when the request may go ahead. */
  readonly test: (request: AccessRequest) => boolean;
}

function matches(pattern: PermissionPattern, permission: Permission): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith(':*')) return permission.startsWith(pattern.slice(0, -1));
  return pattern === permission;
}

/**
 * Builds a {@link Condition} guarding the permissions that match `patterns`.
 *
 * @example
 * const betaExport = defineCondition('beta_export', ['orders:export'], ({ context }) => context?.beta === true);
 * decide(alice, 'orders:export', undefined, [betaExport], { beta: false }) // condition_failed
 */
export function defineCondition(
  name: string,
  patterns: readonly PermissionPattern[],
  test: (request: AccessRequest) => boolean,
): Condition {
  const frozen = Object.freeze([...patterns]);
  return Object.freeze({
    name,
    guards: (permission: Permission) => frozen.some((pattern) => matches(pattern, permission)),
    test,
  });
}

/**
 * A feature-flag condition: the permissions matching `patterns` need `flag` to be on, read from the
 * principal's `attributes.features` (an array of flag names) or from `context.features`.
 *
 * @example
 * const flag = featureFlag('new_checkout', ['checkout:*']);
 * can({ ...alice, attributes: { features: ['new_checkout'] } }, 'checkout:place_order', undefined, [flag]) // true
 */
export function featureFlag(flag: string, patterns: readonly PermissionPattern[]): Condition {
  const has = (value: unknown) => Array.isArray(value) && value.includes(flag);
  return defineCondition(
    `feature:${flag}`,
    patterns,
    ({ principal, context }) => has(principal.attributes?.features) || has(context?.features),
  );
}
