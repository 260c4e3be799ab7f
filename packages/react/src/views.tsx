import type { ReactNode } from 'react';

/** The views this package renders when the app gives none. */
export type ReactViewKind = 'sign-in' | 'signed-out' | 'no-access' | 'not-found' | 'error';

const TEXT: Record<ReactViewKind, string> = {
  'sign-in': 'Sign in to see this.',
  'signed-out': 'You have been signed out.',
  'no-access': 'You do not have access to this.',
  'not-found': 'Not found.',
  error: 'Something went wrong here.',
};

/**
 * The default views: plain elements marked `data-gatehouse-view="<kind>"` (as the shell's are) and
 * `role="alert"`; `sign-in` and `signed-out` have a "Sign in" button when `login` is given.
 *
 * @example
 * <RequireAuth fallback={<DefaultView kind="sign-in" login={login} />}>…</RequireAuth>
 */
export function DefaultView({
  kind,
  login,
}: {
  readonly kind: ReactViewKind;
  readonly login?: (() => void) | undefined;
}): ReactNode {
  return (
    <div data-gatehouse-view={kind} role="alert">
      <p>{TEXT[kind]}</p>
      {login && (kind === 'sign-in' || kind === 'signed-out') && (
        <button type="button" onClick={() => login()}>
          Sign in
        </button>
      )}
    </div>
  );
}
