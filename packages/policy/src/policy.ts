import type { Condition } from './conditions.js';
import { type Decision, type DecisionContext, decide } from './decision.js';
import type { Permission } from './permissions.js';
import type { Principal, Resource } from './principal.js';

/** {@link decide} and {@link can} bound to a deployment's conditions. */
export interface Policy {
  readonly conditions: readonly Condition[];
  decide(
    principal: Principal | null | undefined,
    permission: Permission | string,
    resource?: Resource | null,
    context?: DecisionContext,
  ): Decision;
  can(
    principal: Principal | null | undefined,
    permission: Permission | string,
    resource?: Resource | null,
    context?: DecisionContext,
  ): boolean;
}

/** Options of {@link createPolicy}. */
export interface PolicyOptions {
  /** Subscription / feature-flag conditions; each can only deny. */
  readonly conditions?: readonly Condition[];
}

/**
 * A {@link Policy}: the same rules as {@link decide}, with the deployment's conditions applied every time.
 *
 * @example
 * const policy = createPolicy({ conditions: [featureFlag('org_billing', ['billing:*'])] });
 * policy.decide(erin, 'billing:edit', { tenantId: 'acme' }, { features: ['org_billing'] }).allowed // true
 */
export function createPolicy(options: PolicyOptions = {}): Policy {
  const conditions = Object.freeze([...(options.conditions ?? [])]);
  return Object.freeze({
    conditions,
    decide: (principal, permission, resource, context) =>
      decide(principal, permission, resource, conditions, context),
    can: (principal, permission, resource, context) =>
      decide(principal, permission, resource, conditions, context).allowed,
  } satisfies Policy);
}
