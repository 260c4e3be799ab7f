/** The shell's own views, rendered in a region instead of a remote. */
export type ViewKind = 'loading' | 'no-access' | 'not-found' | 'error' | 'signed-out' | 'expired-notice';

/** What a view is about. */
export interface ViewInfo {
  readonly kind: ViewKind;
  /** The remote concerned (`error`). */
  readonly remote?: string;
  /** `no-access`: `role`, `tenant` or `permission`; `signed-out`: `session_expired` or the logout reason. */
  readonly reason?: string;
  /** Sends the user to sign in, back to the current route. */
  login(): void;
}

/** Renders a view; `undefined` falls back to the default. */
export type ViewRenderer = (info: ViewInfo) => Node | undefined;

/**
 * The default views: plain elements (no `innerHTML`, so they work under Trusted Types) marked
 * `data-gatehouse-view="<kind>"` for styling, `role="alert"` for failures.
 *
 * @example
 * createShell({ …, view: (info) => (info.kind === 'no-access' ? myNoAccessPage() : undefined) });
 */
export function defaultView(info: ViewInfo): Node {
  const element = document.createElement('div');
  element.dataset.gatehouseView = info.kind;
  if (info.kind === 'loading') element.setAttribute('aria-busy', 'true');
  else element.setAttribute('role', 'alert');
  const text = document.createElement('p');
  text.textContent =
    info.kind === 'signed-out' && info.reason === 'session_expired'
      ? 'Your session has expired.'
      : (
          {
            loading: 'Loading…',
            'no-access': 'You do not have access to this page.',
            'not-found': 'Page not found.',
            error: 'This part of the page could not be loaded.',
            'signed-out': 'You have been signed out.',
            'expired-notice': 'Your session has expired. Taking you to sign in…',
          } satisfies Record<ViewKind, string>
        )[info.kind];
  element.append(text);
  if (info.kind === 'signed-out') {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Sign in';
    button.onclick = info.login;
    element.append(button);
  }
  return element;
}
