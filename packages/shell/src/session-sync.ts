import { anonymousIdentity, type IdentityContext } from '@gatehouse/policy';
import type { AuthEventMap, EventBus } from '@gatehouse/remote';
import { type AuthStore, signedInUser } from './auth-store.js';
import { fetchIdentity, parseIdentity, readInlineIdentity, type ShellFetch } from './identity.js';
import { type AuthMessage, connectPush, connectTabs } from './sync.js';
import type { TelemetryEvent } from './telemetry.js';

/** What {@link createSessionSync} needs from the shell. */
export interface SessionSyncOptions {
  /** The BFF's push channel (`GET /auth/events` by default); `false`: none. */
  readonly push: false | { readonly url?: string };
  /** How long before `session.expiresAt` to warn, in ms. */
  readonly warnBeforeMs: number;
  /** The page's bus, for the auth events. */
  readonly events: EventBus;
  /** Reports to telemetry (`session_extended`). */
  track(type: string, extra?: Omit<TelemetryEvent, 'type'>): void;
  /** Sends `/auth/session`, `/auth/session/extend` and `/auth/logout`; the global `fetch` by default. */
  readonly fetch?: ShellFetch | undefined;
}

/** The page's session, kept in step with the BFF and the other tabs. */
export interface SessionSync {
  /**
   * Reads the identity the page inlines (else `GET /auth/session`) into the store and tells the other tabs of
   * a sign-in; competes for the push connection; asks the BFF again when the page comes back from the
   * back/forward cache (until `signal` aborts). Rejects with `GH_SHELL_SESSION_UNAVAILABLE`.
   */
  start(signal: AbortSignal): Promise<void>;
  /**
   * A 401 answered a call sent at `sentAt` (`Date.now()`). When the call was made while signed in (the
   * session goes on, or it ended on this page after the call left), the session ends here and in every tab:
   * `true`. Else nothing changes: `false`.
   */
  refused(sentAt: number): boolean;
  /** `POST /auth/session/extend`; `true` when the session now ends later (the other tabs are told). */
  extend(): Promise<boolean>;
  /**
   * The user signs out here: the store first, then the other tabs, then `POST /auth/logout`. Answers where to
   * go next: the identity provider's logout page, or `/` when the BFF did not say.
   */
  logout(): Promise<string>;
  /** The session's `expiresAt` once the expiry warning fired, until the session changes. */
  expiring(): string | undefined;
  /** Stops following the store, the timers, the push connection and the tabs' channel; lets another tab lead. */
  stop(): void;
}

/**
 * The session sync. It follows `store` from the start: on each change it emits the auth events (with their
 * telemetry), starts the expiry timers again and opens or closes the push connection; subscribe after it to
 * act once those are done. Tabs and the BFF's push channel carry the same {@link AuthMessage}s; the push
 * channel's are relayed to the other tabs. One tab, the holder of a Web Lock, keeps the push connection.
 *
 * Expiry: the warning comes from the expiry this page knows (kept fresh by `extend()`, the push channel and
 * the other tabs), with no request: asking `GET /auth/session` would count as activity and keep an idle
 * session alive. The end itself comes from the push channel, which the BFF feeds without touching the
 * session; only a leader without a push stream asks, once the expiry has passed.
 *
 * @example
 * const session = createSessionSync(store, { push: {}, warnBeforeMs: 120_000, events, track });
 * store.subscribe(render);
 * await session.start(controller.signal);
 */
// long-function: one closure, on purpose: its steps share the timers, the leader flag and the push
// connection. As separate functions they would pass them around, and the runtime's size budget
// (test/size.test.ts) counts every name passed: `npm run size` measures 9,497 B gzip of the 9,500 B budget
// (each split measured for the shell README cost 11 to 18 B).
// It reads in sections, in the order they run.
export function createSessionSync(store: AuthStore, options: SessionSyncOptions): SessionSync {
  const { push, fetch: send = fetch } = options;
  // `POST url` with the CSRF header; bodiless, so no content type (an empty JSON body is not JSON).
  const post = (url: string) => send(url, { method: 'POST', keepalive: true, headers: { 'x-csrf': '1' } });
  const state = store.getState;
  const timers: ReturnType<typeof setTimeout>[] = [];
  let expiring: string | undefined;
  /** When this page last saw the session end (`Date.now()`). */
  let endedAt = 0;
  let leader = false;
  let closePush: (() => void) | undefined;
  let release = () => {};
  // A delay past 2^31 - 1 ms would fire at once; a negative one is 0.
  const later = (fn: () => unknown, ms: number) => timers.push(setTimeout(fn, Math.min(ms, 2 ** 31 - 1)));
  const clear = () => timers.splice(0).map(clearTimeout);
  // Messages: what the BFF says now, what the other tabs and the push channel tell. An end of the session seen
  // here is told to the other tabs.
  const apply = (identity: IdentityContext) => {
    if (state().identity.isAuthenticated && !identity.isAuthenticated) tabs.post({ type: 'session-expired' });
    store.setIdentity(identity);
  };
  // `GET /auth/session`. Past the expiry (`again`), a leader without a push stream asks this way, then again
  // every 30 s while nothing moved. (Any other answer changes the store, whose change clears the timers and
  // sets them anew from the identity it holds: the same as asking whether the expiry moved.)
  const refresh = (again?: boolean) => {
    const before = state().identity;
    fetchIdentity(send).then(
      (identity) => {
        if (again && JSON.stringify(identity) === JSON.stringify(before)) later(() => refresh(true), 30_000);
        apply(identity);
      },
      // No identity (a 503 `store_unavailable` while the BFF's session store fails over, an unreachable BFF):
      // nothing changes, the user stays signed in; the next message, timer or page show asks again.
      () => {},
    );
  };
  const receive = (message: AuthMessage, relay?: boolean) => {
    const { identity } = state();
    const { type } = message;
    // The last branch: `logged-in` of someone else, `session-extended` or `identity-changed` (they name no
    // one, so never this user: the session got a new expiry, the issuer changed the roles, the user switched
    // tenant): ask the BFF who is signed in now. The answer is the whole identity (the expiry with the
    // session's `acr` and `authTime`, the active tenant), never pieced together from a message.
    if (type === 'logged-out') store.logOut(message.reason);
    else if (type === 'session-expired') store.expire();
    else if (!identity.isAuthenticated || identity.user.id !== (message as { userId?: string }).userId)
      refresh();
    if (relay) tabs.post(message);
  };
  const tabs = connectTabs(receive);
  // The push connection: open while this tab leads and someone is signed in.
  const syncPush = () => {
    if (leader && push && state().status === 'authenticated')
      closePush ??= connectPush(
        push.url ?? '/auth/events',
        (message) => receive(message, true),
        () => {
          // Refused (401: the session is gone) or broken: ask the BFF, try again later.
          closePush = undefined;
          refresh();
          later(syncPush, 30_000);
        },
      );
    else {
      closePush?.();
      closePush = undefined;
    }
  };
  // The shell's own events: a payload the bus refuses (a display name that looks like a token) is only logged.
  const emit = (type: keyof AuthEventMap, payload: object) => {
    try {
      (options.events.emit as (type: string, payload: object) => void)(type, payload);
    } catch (error) {
      console.error(error);
    }
  };
  /** An auth event, and the same to telemetry (`logged-out` → `logged_out`, its reason as `errorType`). */
  const tell = (name: string, payload: Readonly<Record<string, string>>) => {
    emit(`auth:${name}` as keyof AuthEventMap, payload);
    options.track(name.replace('-', '_'), { errorType: payload.reason });
  };
  // Each change of state: the auth events, then new expiry timers, then the push connection opened or closed.
  const unsubscribe = store.subscribe((now, previous) => {
    const { status, identity } = now;
    if (previous.status !== 'loading') {
      if (status !== previous.status) {
        if (previous.status === 'authenticated') endedAt = Date.now();
        if (status === 'authenticated') tell('logged-in', { userId: identity.user.id });
        if (status === 'expired') tell('session-expired', {});
        if (status === 'logged-out') tell('logged-out', { reason: now.reason });
      }
      if (signedInUser(now) !== signedInUser(previous)) emit('auth:identity-changed', { identity });
    }
    clear();
    expiring = undefined;
    if (status === 'authenticated') {
      const { expiresAt } = identity.session;
      const left = Date.parse(expiresAt) - Date.now();
      later(() => {
        expiring = expiresAt;
        tell('session-expiring', { expiresAt });
      }, left - options.warnBeforeMs);
      later(() => leader && !closePush && refresh(true), left + 1000);
    }
    syncPush();
  });
  // What the shell calls.
  return {
    async start(signal) {
      // Back from the back/forward cache, the page missed what the other tabs said: ask the BFF.
      addEventListener('pageshow', (event) => event.persisted && refresh(), { signal });
      const become = () => {
        leader = true;
        syncPush();
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      };
      const locks = navigator.locks;
      if (locks) locks.request('gatehouse:push', become).catch(() => {});
      else become();
      const identity = readInlineIdentity() ?? (await fetchIdentity(send));
      apply(identity);
      if (identity.isAuthenticated) tabs.post({ type: 'logged-in', userId: identity.user.id });
    },
    refused(sentAt) {
      // A call made while signed in, even when the push channel told of the session's end before its 401 came
      // (a refresh the IdP refused): the user acted, so the flow runs. A call made after the end does not.
      const { status } = state();
      const ran = status === 'authenticated' || (status === 'expired' && sentAt <= endedAt);
      if (ran) apply(anonymousIdentity);
      return ran;
    },
    async extend() {
      try {
        const response = await post('/auth/session/extend');
        const identity = parseIdentity(await response.json());
        if (response.status === 401) apply(anonymousIdentity);
        if (!response.ok || !identity?.isAuthenticated) return false;
        apply(identity);
        tabs.post({ type: 'session-extended', expiresAt: identity.session.expiresAt });
        options.track('session_extended');
        return true;
      } catch {
        return false;
      }
    },
    async logout() {
      let to = '/';
      // The user's own action, told first: the BFF's push message about the same logout comes after and
      // changes nothing, so remotes always see `user_action`.
      store.logOut('user_action');
      tabs.post({ type: 'logged-out', reason: 'user_action' });
      try {
        const response = await post('/auth/logout');
        const { redirectTo } = await response.json();
        if (response.ok && /^https?:\/\/|^\/(?!\/)/i.test(redirectTo)) to = redirectTo;
      } catch {
        // The BFF did not answer: the session is forgotten here anyway; go home.
      }
      return to;
    },
    expiring: () => expiring,
    stop() {
      unsubscribe();
      clear();
      leader = false;
      syncPush();
      release();
      tabs.close();
    },
  };
}
