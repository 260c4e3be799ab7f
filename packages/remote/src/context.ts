import {
  allows,
  deepFreeze,
  type IdentityContext,
  type LoginOptions,
  type Permission,
  type Resource,
} from '@gatehouse/policy';
import type { ApiClient } from './api-client.js';
import type { EventBus } from './events.js';

/** Where the remote is mounted: the current path, its query and the route's parameters. */
export interface RouteInfo {
  /** The path, e.g. `/orders/order_123`. */
  readonly path: string;
  /** The query with its `?`, or `''`. */
  readonly search: string;
  /** The route pattern's parameters (`/orders/:id` → `{ id: 'order_123' }`), decoded. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * What the shell hands a remote: a frozen, token-free identity, permission checks over the shared policy, the
 * API client, the event bus and auth-change notifications. Never a token: the BFF holds them all.
 */
export interface RemoteContext {
  /** The remote's name in its manifest. */
  readonly name: string;
  /** The identity context of docs/http-contract.md#identity-context, deep-frozen. */
  readonly identity: IdentityContext;
  readonly route: RouteInfo;
  /**
   * What the shared policy's rules say about this user (`@gatehouse/policy` `allows`: `can` without
   * conditions); `false` when anonymous. For UI only: the API decides for real.
   */
  can(permission: Permission, resource?: Resource): boolean;
  /** Same-origin calls to `/api/*` through the BFF. */
  readonly api: ApiClient;
  /** The shell's event bus; `auth:*` events are the shell's to emit. */
  readonly events: EventBus;
  /**
   * Calls `listener` with the new identity whenever it changes (sign-in, sign-out, expiry, other roles);
   * returns the function that stops it. The shell stops it at unmount too.
   */
  onAuthChange(listener: (identity: IdentityContext) => void): () => void;
  /** Sends the user to sign in, coming back to `returnTo` (default: the current route). */
  login(returnTo?: string, options?: LoginOptions): void;
  /** Moves to another route of the app without a reload. */
  navigate(path: string): void;
}

/** What {@link createRemoteContext} assembles. */
export type RemoteContextInit = Omit<RemoteContext, 'can'>;

/**
 * Builds a frozen {@link RemoteContext}: deep-freezes the identity and binds `can` to its user. The shell
 * builds one per mount and update; the test harness uses it too, so remotes are tested against the real thing.
 *
 * @example
 * const context = createRemoteContext({ name: 'orders', identity, route, api, events, onAuthChange, login, navigate });
 * context.can('orders:view', { ownerId: 'user_alice' });
 */
export function createRemoteContext(init: RemoteContextInit): RemoteContext {
  const identity = deepFreeze(structuredClone(init.identity));
  return Object.freeze({
    ...init,
    identity,
    route: deepFreeze(structuredClone(init.route)),
    can: (permission: Permission, resource?: Resource) =>
      identity.isAuthenticated && allows(identity.user, permission, resource),
  });
}
