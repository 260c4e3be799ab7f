import { anonymousIdentity, type IdentityContext, type LogoutReason } from '@gatehouse/policy';

/** The identity context of a signed-in user. */
export type SignedInIdentity = Extract<IdentityContext, { isAuthenticated: true }>;
/** The identity context of nobody. */
export type AnonymousIdentity = Extract<IdentityContext, { isAuthenticated: false }>;

/**
 * Where the session stands:
 * - `loading`: not known yet (nothing protected is loaded);
 * - `anonymous`: nobody signed in since the page loaded;
 * - `authenticated`: signed in, `identity` says who;
 * - `expired`: was signed in on this page; the session ended on its own (timeout, failed refresh, a 401);
 * - `logged-out`: was signed in on this page; the user or the identity provider ended it (`reason`).
 */
export type AuthState =
  | { readonly status: 'loading' | 'anonymous' | 'expired'; readonly identity: AnonymousIdentity }
  | { readonly status: 'logged-out'; readonly identity: AnonymousIdentity; readonly reason: LogoutReason }
  | { readonly status: 'authenticated'; readonly identity: SignedInIdentity };

/** Every {@link AuthState} `status`. */
export type AuthStatus = AuthState['status'];

/** Called after each change with the new and the previous state. */
export type AuthListener = (state: AuthState, previous: AuthState) => void;

/** The read side of the {@link AuthStore}, what adapters (React's `useSyncExternalStore`) need. */
export interface ReadonlyAuthStore {
  getState(): AuthState;
  /** Listens to changes; returns the function that stops listening (TanStack query-core style). */
  subscribe(listener: AuthListener): () => void;
}

/** The session state of one page, owned by the shell. */
export interface AuthStore extends ReadonlyAuthStore {
  /**
   * What the BFF says. Signed in → `authenticated` (no change, no notification, when nothing differs);
   * anonymous → `anonymous` while nobody was signed in, `expired` when someone was.
   */
  setIdentity(identity: IdentityContext): void;
  /** The session ended on its own: `authenticated` → `expired`. */
  expire(): void;
  /** The session was ended: `authenticated` (or `loading`) → `logged-out` with `reason`. */
  logOut(reason: LogoutReason): void;
}

const anonymous = anonymousIdentity as AnonymousIdentity;

/**
 * A store with explicit states and `subscribe()`. Pure: no DOM, no requests; the shell feeds it.
 *
 * @example
 * const store = createAuthStore();
 * const stop = store.subscribe((state, previous) => console.log(previous.status, '→', state.status));
 * store.setIdentity({ isAuthenticated: false }); // loading → anonymous
 * stop();
 */
export function createAuthStore(): AuthStore {
  let state: AuthState = Object.freeze({ status: 'loading', identity: anonymous });
  const listeners = new Set<AuthListener>();
  const set = (next: AuthState) => {
    const previous = state;
    if (JSON.stringify(next) === JSON.stringify(previous)) return;
    state = Object.freeze(next);
    for (const listener of [...listeners]) listener(state, previous);
  };
  const signedIn = () => state.status === 'authenticated';
  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    setIdentity(identity) {
      if (identity.isAuthenticated) set({ status: 'authenticated', identity });
      else if (signedIn()) set({ status: 'expired', identity: anonymous });
      else if (state.status === 'loading') set({ status: 'anonymous', identity: anonymous });
    },
    expire() {
      if (signedIn()) set({ status: 'expired', identity: anonymous });
    },
    logOut(reason) {
      if (signedIn() || state.status === 'loading')
        set({ status: 'logged-out', identity: anonymous, reason });
    },
  };
}
