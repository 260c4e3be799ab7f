import type { TenantMembership } from './identity.js';
import type { Permission } from './permissions.js';

/**
 * Whoever asks: the signed-in user as the policy sees them. An {@link IdentityUser} (browser) and the API's
 * token principal both fit this shape, so the same rules run on both sides.
 *
 * @example
 * const alice: Principal = { id: 'user_alice', roles: ['customer'], permissions: ['orders:view'], tenants: [] };
 */
export interface Principal {
  /** The user id (the token's `sub`). */
  readonly id: string;
  readonly roles?: readonly string[];
  /** Global permissions, from the role map. They never apply inside a tenant. */
  readonly permissions: readonly Permission[];
  /** Tenant memberships, each with the permissions it gives inside that tenant only. */
  readonly tenants: readonly TenantMembership[];
  /** Free attributes for {@link Condition}s (plan, feature flags, ...). Rules never read them. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * What the request is about, when it is about one thing. Domain objects fit as they are when they carry
 * `ownerId`/`tenantId`; otherwise map them (`{ ownerId: row.user_id }`).
 *
 * - `ownerId` present: the object belongs to that user. `<permission>` grants it to its owner only;
 *   `<permission>_any` grants it whoever owns it. A present but empty or non-string owner matches nobody.
 * - `tenantId` present: only the principal's membership of that tenant counts, never global permissions
 *   nor another tenant's.
 *
 * @example
 * const order: Resource = { type: 'order', id: 'order_123', ownerId: 'user_alice' };
 */
export interface Resource {
  readonly type?: string;
  readonly id?: string;
  readonly ownerId?: string | null;
  readonly tenantId?: string | null;
  /** Free attributes for {@link Condition}s (the tenant's plan, ...). Rules never read them. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}
