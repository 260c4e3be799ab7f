import type { IdentityContext, Permission, Resource } from '@gatehouse/policy';
import type { ApiClient, RemoteContext } from '@gatehouse/remote';
import type { AuthState, Shell } from '@gatehouse/shell';
import { useContext, useSyncExternalStore } from 'react';
import { GatehouseReactError } from './errors.js';
import type { Binding } from './lib/binding.js';
import { GatehouseContext } from './provider.js';

function useBinding(): Binding {
  const binding = useContext(GatehouseContext);
  if (!binding)
    throw new GatehouseReactError('GH_REACT_NO_PROVIDER', 'Gatehouse hooks need a <GatehouseProvider> above');
  return binding;
}

// The same function on the server (renderToString) and in the browser: the runtime's state is all there is.
const useStore = <T>(binding: Binding, read: () => T): T =>
  useSyncExternalStore(binding.subscribe, read, read);

/**
 * The session state: under a shell, the store's state (`loading`, `anonymous`, `authenticated`, `expired`,
 * `logged-out`); under a remote, `authenticated` or `anonymous` from the context's identity (the shell's
 * other states reach a remote as anonymous identities and as `auth:*` events).
 *
 * @example
 * const { status } = useAuthState();
 * if (status === 'loading') return <Spinner />;
 */
export function useAuthState(): AuthState {
  const binding = useBinding();
  return useStore(binding, binding.getState);
}

/**
 * The identity context (frozen; never a token). Re-renders when it changes: sign-in, sign-out, expiry,
 * other roles.
 *
 * @example
 * const identity = useIdentity();
 * return <p>{identity.isAuthenticated ? `Hello, ${identity.user.displayName}` : 'Hello, guest'}</p>;
 */
export function useIdentity(): IdentityContext {
  const binding = useBinding();
  return useStore(binding, () => binding.getState().identity);
}

/**
 * What the runtime's `can` says for the current user (the shared policy: permissions, ownership, tenant);
 * `false` when anonymous. Re-renders only when the answer changes. For the UI only: the API decides.
 *
 * @example
 * const canEdit = useCan('orders:edit', { ownerId: order.userId });
 * return <button disabled={!canEdit}>Edit</button>;
 */
export function useCan(permission: Permission, resource?: Resource): boolean {
  const binding = useBinding();
  return useStore(binding, () => binding.can(permission, resource));
}

/**
 * The API client (same origin, `x-csrf: 1`, typed errors: `ForbiddenError`, `NotFoundError`,
 * `UnauthenticatedError`, `ApiError`).
 *
 * @example
 * const api = useApi();
 * // above the <Suspense> boundary, so the promise is made once; read it below with use(order)
 * const order = useMemo(() => api.get<Order>(`/api/orders/${id}`), [api, id]);
 */
export function useApi(): ApiClient {
  return useBinding().api;
}

/**
 * The function that sends the user to sign in, back to `returnTo` (the current route by default).
 *
 * @example
 * const login = useLogin();
 * return <button onClick={() => login()}>Sign in</button>;
 */
export function useLogin(): (returnTo?: string) => void {
  return useBinding().login;
}

/**
 * The remote's current context (route, events, `navigate`, …), renewed on each identity change. Throws
 * `GH_REACT_NOT_A_REMOTE` under a shell's provider.
 *
 * @example
 * const { route, navigate } = useRemoteContext();
 */
export function useRemoteContext(): RemoteContext {
  const binding = useBinding();
  const context = useStore(binding, binding.getContext);
  if (!context) throw new GatehouseReactError('GH_REACT_NOT_A_REMOTE', 'useRemoteContext needs a remote');
  return context;
}

/**
 * The shell (`logout()`, `extend()`, `navigate()`, `events`) for the shell's own React UI. Throws
 * `GH_REACT_NOT_A_SHELL` under a remote's provider: remotes get a context, never the shell.
 *
 * @example
 * const shell = useShell();
 * return <button onClick={() => shell.logout()}>Sign out</button>;
 */
export function useShell(): Shell {
  const { shell } = useBinding();
  if (!shell) throw new GatehouseReactError('GH_REACT_NOT_A_SHELL', 'useShell needs a shell');
  return shell;
}
