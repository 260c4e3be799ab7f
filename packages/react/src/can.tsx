import type { Permission, Resource } from '@gatehouse/policy';
import type { ReactNode } from 'react';
import { useCan } from './hooks.js';

/** Props of {@link Can}. */
export interface CanProps {
  readonly permission: Permission;
  /** The resource the permission is about (`ownerId`, `tenantId`). */
  readonly resource?: Resource;
  readonly children?: ReactNode;
  /** Shown when the user may not (nothing by default). */
  readonly fallback?: ReactNode;
}

/**
 * Renders `children` when the current user has `permission` (on `resource`), `fallback` otherwise; follows
 * identity changes. For the UI only: the API decides.
 *
 * @example
 * <Can permission="orders:cancel" resource={{ ownerId: order.userId }} fallback={<p>Ask support to cancel.</p>}>
 *   <CancelButton order={order} />
 * </Can>
 */
export function Can({ permission, resource, children, fallback = null }: CanProps): ReactNode {
  return useCan(permission, resource) ? children : fallback;
}
