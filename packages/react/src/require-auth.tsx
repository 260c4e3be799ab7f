import type { ReactNode } from 'react';
import { useAuthState, useLogin } from './hooks.js';
import { DefaultView } from './views.js';

/** Props of {@link RequireAuth}. */
export interface RequireAuthProps {
  readonly children?: ReactNode;
  /**
   * Shown to a visitor who is not signed in (`anonymous`, `expired`, `logged-out`); by default a notice
   * with a "Sign in" button that comes back to the current route. Never a redirect by itself: the shell's
   * route rules do that, a component only offers.
   */
  readonly fallback?: ReactNode;
  /** Shown while the shell does not know yet (`loading`); nothing by default. */
  readonly loading?: ReactNode;
}

/**
 * Renders `children` only for a signed-in user.
 *
 * @example
 * <RequireAuth fallback={<p>Sign in to see your wishlist.</p>}>
 *   <Wishlist />
 * </RequireAuth>
 */
export function RequireAuth({ children, fallback, loading = null }: RequireAuthProps): ReactNode {
  const { status } = useAuthState();
  const login = useLogin();
  if (status === 'authenticated') return children;
  if (status === 'loading') return loading;
  if (fallback !== undefined) return fallback;
  return <DefaultView kind={status === 'anonymous' ? 'sign-in' : 'signed-out'} login={login} />;
}
