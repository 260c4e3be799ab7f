import { allows, type Permission, type Resource } from '@gatehouse/policy';
import { type ApiClient, createRemoteContext, type RemoteContext } from '@gatehouse/remote';
import type { AuthState, Shell, Telemetry } from '@gatehouse/shell';

/** Where telemetry goes: `createTelemetry()` of `@gatehouse/shell`, or anything with `track`. */
export type TelemetrySink = Pick<Telemetry, 'track'>;

/**
 * What the provider hands its hooks: the runtime seen through `subscribe`/`getState`, the shape
 * `useSyncExternalStore` wants. It holds no auth rules of its own: state comes from the shell's store or the
 * remote context's `onAuthChange`, and `can` from the runtime (the context's `can`, the policy's for a shell).
 */
export interface Binding {
  readonly subscribe: (listener: () => void) => () => void;
  readonly getState: () => AuthState;
  /** The current remote context; `undefined` under a shell. */
  readonly getContext: () => RemoteContext | undefined;
  readonly can: (permission: Permission, resource?: Resource) => boolean;
  readonly api: ApiClient;
  readonly login: (returnTo?: string) => void;
  readonly shell?: Shell;
  /** The remote's name (telemetry); `undefined` under a shell. */
  readonly name?: string;
  readonly telemetry?: TelemetrySink | undefined;
}

/** The shell's own store, as it is. */
export function shellBinding(shell: Shell, telemetry?: TelemetrySink): Binding {
  return {
    subscribe: (listener) => shell.auth.subscribe(() => listener()),
    getState: shell.auth.getState,
    getContext: () => undefined,
    // The rule the shell's guard and every remote context apply: the shared policy over the signed-in user.
    can(permission, resource) {
      const { identity } = shell.auth.getState();
      return identity.isAuthenticated && allows(identity.user, permission, resource);
    },
    api: shell.api,
    login: (returnTo) => shell.login(returnTo),
    shell,
    telemetry,
  };
}

const stateOf = (context: RemoteContext): AuthState =>
  Object.freeze(
    context.identity.isAuthenticated
      ? { status: 'authenticated', identity: context.identity }
      : { status: 'anonymous', identity: context.identity },
  );

/**
 * A remote's context as a store: `onAuthChange` (subscribed once, while anyone listens) brings the new
 * identity, and the runtime's `createRemoteContext` rebuilds the context around it, so `can` stays the
 * runtime's. The shell then calls `update` with its own new context, which replaces this one.
 */
export function contextBinding(context: RemoteContext, telemetry?: TelemetrySink): Binding {
  let current = context;
  let state = stateOf(context);
  const listeners = new Set<() => void>();
  let off: (() => void) | undefined;
  return {
    subscribe(listener) {
      listeners.add(listener);
      off ??= context.onAuthChange((identity) => {
        if (JSON.stringify(identity) === JSON.stringify(current.identity)) return;
        current = createRemoteContext({ ...current, identity });
        state = stateOf(current);
        for (const notify of [...listeners]) notify();
      });
      return () => {
        listeners.delete(listener);
        if (!listeners.size) {
          off?.();
          off = undefined;
        }
      };
    },
    getState: () => state,
    getContext: () => current,
    can: (permission, resource) => current.can(permission, resource),
    api: context.api,
    login: (returnTo) => current.login(returnTo),
    name: context.name,
    telemetry,
  };
}
