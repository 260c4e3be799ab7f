import { anonymousIdentity, type IdentityContext } from '@gatehouse/policy';
import {
  type ApiClient,
  type AuthEventMap,
  createApiClient,
  createEventBus,
  createRemoteContext,
  type EventBus,
  type RemoteLifecycle,
  type RouteInfo,
  randomHex,
  scopeEventBus,
} from '@gatehouse/remote';
import { type AuthState, createAuthStore, type ReadonlyAuthStore } from './auth-store.js';
import { ShellError } from './errors.js';
import { guard } from './guard.js';
import { fetchIdentity, parseIdentity, readInlineIdentity } from './identity.js';
import { createRemoteLoader, withTimeout } from './loader.js';
import { originOf, routesFromManifests, validateManifest } from './manifest.js';
import { createRouteTable, type RouteDefinition, type RouteTable } from './routes.js';
import { type AuthMessage, connectPush, connectTabs } from './sync.js';
import { createTelemetry, type TelemetryEvent, type TelemetryOptions } from './telemetry.js';
import { defaultView, type ViewInfo, type ViewRenderer } from './views.js';

/** Options of {@link createShell}. */
export interface ShellOptions {
  /** Where the current route's remote is mounted. */
  readonly outlet: HTMLElement;
  /** Remote manifests (untrusted JSON is fine: each is validated; a bad one only breaks its own remote). */
  readonly remotes: readonly unknown[];
  /** Exact origins remote code may come from (`https://cdn.example`); no wildcard. */
  readonly allowedOrigins: readonly string[];
  /** The route table; by default the routes the manifests declare. */
  readonly routes?: readonly RouteDefinition[];
  /** The shell's version, for telemetry. */
  readonly version?: string;
  /** Longest wait for loading, mounting, updating or unmounting a remote, in ms (10 000). */
  readonly timeoutMs?: number;
  /** How long before `session.expiresAt` to emit `auth:session-expiring`, in ms (120 000). */
  readonly warnBeforeMs?: number;
  /** How long the session-expired notice shows before login, after an API's 401, in ms (2500). */
  readonly loginDelayMs?: number;
  /** Your own views (no-access, not-found, error…); return `undefined` to keep the default. */
  readonly view?: ViewRenderer;
  /** Telemetry to `POST /telemetry`; `false` turns it off. */
  readonly telemetry?: false | TelemetryOptions;
  /** The BFF's push channel (`GET /auth/events`); `false` turns it off. */
  readonly push?: false | { readonly url?: string };
  /** The coarse role group telemetry reports; by default the sorted roles joined by `+`. */
  readonly roleGroup?: (identity: IdentityContext) => string;
  /** The page's CSP nonce for the import map; read from the page by default. */
  readonly nonce?: string;
}

/** The running shell. */
export interface Shell {
  /** The session state (`loading`, `anonymous`, `authenticated`, `expired`, `logged-out`). */
  readonly auth: ReadonlyAuthStore;
  /** The page's event bus (the shell emits the `auth:*` events on it). */
  readonly events: EventBus;
  /** The API client remotes receive. */
  readonly api: ApiClient;
  readonly routes: RouteTable;
  /**
   * Reads the identity the page inlines (else `GET /auth/session`), then routes. Rejects with
   * `GH_SHELL_SESSION_UNAVAILABLE` when neither gives an identity.
   */
  start(): Promise<void>;
  /** Goes to `to` without a reload when a route matches it, else with a normal navigation. */
  navigate(to: string, options?: { readonly replace?: boolean }): void;
  /** `GET /auth/login?returnTo=…` (the current route by default). */
  login(returnTo?: string): void;
  /** `POST /auth/logout`, tells the other tabs, unmounts, then goes to the identity provider's logout page. */
  logout(): Promise<void>;
  /** `POST /auth/session/extend`; `true` when the session now ends later. */
  extend(): Promise<boolean>;
  /**
   * The session's `expiresAt` while inside the warning window (`auth:session-expiring` has fired), else
   * `undefined`: a view that mounts after the event still knows to warn.
   */
  expiring(): string | undefined;
  /**
   * Mounts `remote` in a fixed region (a header widget) under its manifest's auth rules, re-checked on every
   * change; returns the function that removes it. Its context's route is empty.
   */
  mount(remote: string, element: HTMLElement): () => void;
  /** Unmounts everything and stops listening (tests, hot reload). */
  stop(): Promise<void>;
}

interface Mounted {
  readonly name: string;
  readonly lifecycle: RemoteLifecycle;
  readonly element: HTMLElement;
  readonly bus: EventBus;
  readonly listeners: Set<(identity: IdentityContext) => void>;
  readonly dispose: () => void;
  /** The route and user it was last mounted or updated with. */
  key: string;
}

/** A part of the page the shell renders: the outlet, or a fixed region (`mount`). */
interface Region {
  /** Shows what the current route and auth state call for. */
  render(): void;
  /** Shows a view (none: empty) instead of a remote. */
  showView(info?: Omit<ViewInfo, 'login'>): void;
  /** Unmounts and empties the region. */
  clear(): Promise<unknown>;
  /** Settles once every queued step has run. */
  idle(): Promise<unknown>;
}

const noop = () => {};
const EMPTY_ROUTE: RouteInfo = { path: '', search: '', params: {} };
const here = () => location.pathname + location.search;
const user = (state: AuthState) => JSON.stringify(state.identity.isAuthenticated && state.identity.user);
// Bodiless, so no content type: an empty JSON body is not JSON.
const post = (url: string) => fetch(url, { method: 'POST', keepalive: true, headers: { 'x-csrf': '1' } });

/**
 * The shell runtime: auth store, route guard, remote loader, API client, event bus, cross-tab sync, push
 * channel, expiry warning and telemetry, wired together. Framework-agnostic; never sees a token.
 *
 * @example
 * const shell = createShell({
 *   outlet: document.getElementById('app')!,
 *   remotes: manifests,
 *   allowedOrigins: ['https://cdn.example'],
 *   routes: [
 *     { path: '/', remote: 'home' },
 *     { path: '/orders', remote: 'orders', auth: 'required', children: [{ path: ':id' }] },
 *     { path: '/admin', remote: 'admin', roles: ['admin'] },
 *   ],
 * });
 * shell.events.on('auth:session-expiring', () => showExtendButton(() => shell.extend()));
 * await shell.start();
 */
export function createShell(options: ShellOptions): Shell {
  const { timeoutMs = 10_000, push = {}, telemetry: telemetryOptions } = options;
  if (!options.allowedOrigins.every((origin) => originOf(`${origin}/`) === origin))
    throw new ShellError(
      'GH_SHELL_BAD_OPTIONS',
      'allowedOrigins must be exact origins (https://cdn.example)',
    );
  const manifests = options.remotes.flatMap((raw) => {
    try {
      return [validateManifest(raw, options)];
    } catch (error) {
      console.error(error);
      return [];
    }
  });
  const manifest = (name: string) => manifests.find((m) => m.name === name);
  const table = createRouteTable(options.routes ?? routesFromManifests(manifests));
  const loader = createRemoteLoader({ manifests, timeoutMs, nonce: options.nonce });
  const store = createAuthStore();
  const telemetry = telemetryOptions !== false && createTelemetry(telemetryOptions);
  const broken = new Set<string>();
  const listening = new AbortController();
  const state = store.getState;
  let pattern: string | undefined;
  let timers: ReturnType<typeof setTimeout>[] = [];
  /** The session's `expiresAt` once the expiry warning fired (until the session changes). */
  let expiring: string | undefined;
  const later = (fn: () => unknown, ms: number) =>
    timers.push(setTimeout(fn, Math.min(Math.max(ms, 0), 2 ** 31 - 1)));
  const listen = (target: EventTarget, type: string, listener: (event: never) => unknown) =>
    target.addEventListener(type, listener as () => void, { signal: listening.signal });

  const track = (type: string, extra?: Omit<TelemetryEvent, 'type'>) => {
    const { identity, status } = state();
    if (telemetry)
      telemetry.track({
        type,
        route: pattern,
        shellVersion: options.version,
        authState: status,
        userRoleGroup: options.roleGroup
          ? options.roleGroup(identity)
          : identity.isAuthenticated
            ? [...identity.user.roles].sort().join('+')
            : 'anonymous',
        ...extra,
      });
  };
  const events = createEventBus({
    onRefused: (_type, error) => track('event_refused', { errorType: error.code }),
  });
  const emit = (type: keyof AuthEventMap, payload: object) => {
    try {
      (events.emit as (type: string, payload: object) => void)(type, payload);
    } catch (error) {
      console.error(error);
    }
  };
  /** An auth event, and the same to telemetry (`logged-in` → `logged_in`). */
  const tell = (name: string, payload: object, extra?: Omit<TelemetryEvent, 'type'>) => {
    emit(`auth:${name}` as keyof AuthEventMap, payload);
    track(name.replace('-', '_'), extra);
  };

  // Sign-in, and the one flow for a 401 while signed in: mark the session expired everywhere, say so, then
  // sign in again coming back to this route. (Anonymous, a 401 only reaches the remote, which offers login.)
  const login = (returnTo = here()) =>
    location.assign(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  let notice: HTMLElement | undefined;
  /** When this page last saw the session end (`Date.now()`). */
  let endedAt = 0;
  // One W3C trace per user action: a navigation starts a new one, and every API call it leads to shares it.
  let traceId = randomHex(16);
  const api = createApiClient({
    traceId: () => traceId,
    onUnauthenticated(_error, sentAt) {
      // A call made while signed in, even when the push channel told of the session's end before its 401 came
      // (a refresh the IdP refused): the user acted, so the flow runs. A call made after the end does not.
      const { status } = state();
      if (notice || !(status === 'authenticated' || (status === 'expired' && sentAt <= endedAt))) return;
      applyIdentity(anonymousIdentity);
      notice = document.body.appendChild(document.createElement('div'));
      notice.append(view({ kind: 'expired-notice' }));
      setTimeout(login, options.loginDelayMs ?? 2500);
    },
    onError: (error) => track('api_error', { errorType: `${error.status} ${error.code}` }),
  });
  // What the BFF says now; an end of session seen here is told to the other tabs.
  const applyIdentity = (identity: IdentityContext) => {
    const signedIn = state().status === 'authenticated';
    store.setIdentity(identity);
    if (signedIn && state().status === 'expired') tabs.post({ type: 'session-expired' });
  };
  const refresh = () => fetchIdentity().then(applyIdentity, noop);

  // Tabs and the push channel send the same messages; the push channel's are relayed to the other tabs.
  const apply = (message: AuthMessage, relay?: boolean) => {
    const { status, identity } = state();
    const m = message;
    if (m.type === 'logged-out') store.logOut(m.reason);
    else if (m.type === 'session-expired') store.expire();
    else if (m.type === 'session-extended') {
      if (status === 'authenticated') store.setIdentity({ ...identity, session: { expiresAt: m.expiresAt } });
    } else if (!identity.isAuthenticated || identity.user.id !== m.userId) refresh();
    if (relay) tabs.post(message);
  };
  const tabs = connectTabs(apply);

  // One tab (the holder of a Web Lock: not storage) keeps the push connection; the others hear it from it.
  let leader = false;
  let closePush: (() => void) | undefined;
  let releaseLock = noop;
  const syncPush = () => {
    const on = leader && push && state().status === 'authenticated';
    if (on && !closePush)
      closePush = connectPush(
        push.url ?? '/auth/events',
        (message) => apply(message, true),
        () => {
          // Refused (401: the session is gone) or broken: ask the BFF, try again later.
          closePush = undefined;
          refresh();
          later(syncPush, 30_000);
        },
      );
    if (!on && closePush) {
      closePush();
      closePush = undefined;
    }
  };

  // Expiry. The warning comes from the expiry this page knows (kept fresh by extend(), the push channel and
  // the other tabs), with no request: asking `GET /auth/session` would count as activity and keep an idle
  // session alive. The end itself comes from the BFF's push channel, which watches without touching; only a
  // leader without a push stream asks, once the expiry has passed.
  const check = async () => {
    const before = state().identity;
    const identity = await fetchIdentity().catch(noop);
    if (!identity) return;
    if (
      before.isAuthenticated &&
      identity.isAuthenticated &&
      identity.session.expiresAt === before.session.expiresAt
    )
      later(check, 30_000);
    applyIdentity(identity);
  };

  // Regions -------------------------------------------------------------------------------------------------
  const view = (info: Omit<ViewInfo, 'login'>): Node => {
    const full = { ...info, login: () => login() };
    return options.view?.(full) ?? defaultView(full);
  };
  const call = (what: string, name: string, fn: () => unknown) =>
    withTimeout(
      Promise.resolve()
        .then(fn)
        .catch((cause) => {
          throw new ShellError('GH_SHELL_MOUNT_FAILED', `${what} of "${name}" threw`, { cause });
        }),
      timeoutMs,
      `${what} of "${name}"`,
    );
  const context = (mounted: Mounted, route: RouteInfo) =>
    createRemoteContext({
      name: mounted.name,
      identity: state().identity,
      route,
      api,
      events: mounted.bus,
      onAuthChange(listener) {
        mounted.listeners.add(listener);
        return () => void mounted.listeners.delete(listener);
      },
      login,
      navigate: (to) => navigate(to),
    });
  const region = (element: HTMLElement, table: RouteTable, fixed?: boolean): Region => {
    /** Bumped by every render: a queued step whose token is stale is skipped. */
    let token = 0;
    /** Steps on one region run one after another. */
    let queue: Promise<unknown> = Promise.resolve();
    let mounted: Mounted | undefined;
    /** What the region shows when it is not a mounted remote. */
    let shown: string | undefined;
    const run = (at: number, step: () => unknown) =>
      (queue = queue.then(() => at === token && step()).catch(console.error));
    const show = async (key?: string, node?: Node) => {
      const previous = mounted;
      mounted = undefined;
      shown = key;
      element.replaceChildren(...(node ? [node] : []));
      if (previous) {
        previous.dispose();
        await call('unmount', previous.name, () => previous.lifecycle.unmount(previous.element)).catch(
          console.error,
        );
      }
    };
    const showView = (info?: Omit<ViewInfo, 'login'>) => {
      const key = JSON.stringify(info);
      if (shown !== key || mounted) run(++token, () => show(key, info && view(info)));
    };
    // A failing remote is marked broken and shows an error view in its own region; nothing else is touched.
    const fail = (name: string, error?: unknown) => {
      if (error) {
        broken.add(name);
        console.error(error);
        track('remote_failed', {
          remoteName: name,
          remoteVersion: manifest(name)?.version,
          errorType: (error as ShellError).code,
        });
      }
      return show(`error:${name}`, view({ kind: 'error', remote: name }));
    };
    const showRemote = (name: string, route: RouteInfo) => {
      const at = ++token;
      const key = JSON.stringify(route) + user(state());
      const current = mounted;
      if (current?.name === name && current.key === key) return;
      if (current?.name === name && current.lifecycle.update)
        run(at, async () => {
          const userChanged = !current.key.endsWith(user(state()));
          current.key = key;
          const next = context(current, route);
          try {
            // Listeners first (a remote drops what it held of the old user), then the re-render.
            if (userChanged) for (const listener of [...current.listeners]) listener(next.identity);
            await call('update', name, () => current.lifecycle.update!(next, current.element));
          } catch (error) {
            await fail(name, error);
          }
        });
      else if (broken.has(name)) {
        if (shown !== `error:${name}`) run(at, () => fail(name));
      } else {
        run(at, () => show(undefined, fixed ? undefined : view({ kind: 'loading' })));
        loader.load(name).then(
          (lifecycle) =>
            run(at, async () => {
              const scoped = scopeEventBus(events);
              const listeners = new Set<(identity: IdentityContext) => void>();
              const remoteElement = document.createElement('div');
              remoteElement.dataset.gatehouseRemote = name;
              const next: Mounted = {
                name,
                lifecycle,
                element: remoteElement,
                bus: scoped.bus,
                listeners,
                key,
                dispose() {
                  scoped.dispose();
                  listeners.clear();
                },
              };
              await show();
              mounted = next;
              element.append(remoteElement);
              await call('mount', name, () => lifecycle.mount(remoteElement, context(next, route))).catch(
                (error) => fail(name, error),
              );
            }),
          (error) => run(at, () => fail(name, error)),
        );
      }
    };
    return {
      render() {
        const match = table.match(here());
        const decision = guard(match, state());
        const { kind } = decision;
        if (!fixed) pattern = match?.route.pattern;
        if (kind === 'render') showRemote(match!.route.remote, fixed ? EMPTY_ROUTE : match!);
        else if (fixed) showView();
        else if (kind === 'login') login(decision.returnTo);
        else if (kind === 'wait') {
          // Public code may load while the session is checked; protected code never does.
          if (match!.route.auth !== 'required') loader.load(match!.route.remote).catch(noop);
          showView({ kind: 'loading' });
        } else {
          if (kind === 'no-access')
            track('access_denied', {
              remoteName: match?.route.remote,
              errorType: decision.reason,
              permission: decision.permission,
            });
          showView({ kind, ...('reason' in decision ? { reason: decision.reason } : {}) });
        }
      },
      showView,
      clear: () => run(++token, () => show()),
      idle: () => queue,
    };
  };

  const outlet = region(options.outlet, table);
  const regions = [outlet];
  const render = () => {
    traceId = randomHex(16);
    for (const r of regions) r.render();
  };
  const settle = (step: (r: Region) => Promise<unknown>) => Promise.all(regions.map(step));

  // Only same-origin URLs of a route are the shell's to show.
  const ours = (url: URL) => url.origin === location.origin && table.match(url.pathname);
  const navigate = (to: string, { replace = false } = {}) => {
    const url = new URL(to, location.href);
    if (!ours(url)) return location.assign(url.href);
    history[replace ? 'replaceState' : 'pushState'](null, '', url.href);
    render();
  };

  const unsubscribe = store.subscribe((now, previous) => {
    const { status, identity } = now;
    if (previous.status !== 'loading') {
      if (status !== previous.status) {
        if (status === 'authenticated') tell('logged-in', { userId: identity.user.id });
        if (status === 'expired') tell('session-expired', {});
        if (status === 'logged-out') tell('logged-out', { reason: now.reason }, { errorType: now.reason });
      }
      if (user(now) !== user(previous)) emit('auth:identity-changed', { identity });
    }
    if (previous.status === 'authenticated' && status !== 'authenticated') endedAt = Date.now();
    for (const timer of timers) clearTimeout(timer);
    timers = [];
    expiring = undefined;
    if (status === 'authenticated') {
      const { expiresAt } = identity.session;
      const left = Date.parse(expiresAt) - Date.now();
      later(
        () => {
          expiring = expiresAt;
          tell('session-expiring', { expiresAt });
        },
        left - (options.warnBeforeMs ?? 120_000),
      );
      later(() => leader && !closePush && check(), left + 1000);
    }
    syncPush();
    render();
  });

  return {
    auth: { getState: state, subscribe: store.subscribe },
    events,
    api,
    routes: table,
    async start() {
      listen(window, 'popstate', render);
      // Back from the back/forward cache, the page missed what the other tabs said: ask the BFF.
      listen(window, 'pageshow', (event: PageTransitionEvent) => event.persisted && refresh());
      listen(
        document,
        'visibilitychange',
        () => document.visibilityState === 'hidden' && telemetry && telemetry.flush(),
      );
      listen(document, 'click', (event: MouseEvent) => {
        const a = (event.target as Element).closest?.('a[href]') as HTMLAnchorElement | null;
        const url = a && new URL(a.href);
        if (
          url &&
          !(
            event.defaultPrevented ||
            event.button ||
            event.metaKey ||
            event.ctrlKey ||
            event.shiftKey ||
            event.altKey
          ) &&
          !(a.target && a.target !== '_self') &&
          !a.hasAttribute('download') &&
          !(url.hash && url.pathname + url.search === here()) &&
          ours(url)
        ) {
          event.preventDefault();
          navigate(url.href);
        }
      });
      const become = () => {
        leader = true;
        syncPush();
        return new Promise<void>((resolve) => {
          releaseLock = resolve;
        });
      };
      const locks = navigator.locks;
      if (locks) locks.request('gatehouse:push', become).catch(noop);
      else become();
      render();
      let identity = readInlineIdentity();
      try {
        identity ??= await fetchIdentity();
      } catch (error) {
        outlet.showView({ kind: 'error' });
        throw error;
      }
      store.setIdentity(identity);
      if (identity.isAuthenticated) tabs.post({ type: 'logged-in', userId: identity.user.id });
    },
    navigate,
    login,
    expiring: () => expiring,
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
      await settle((r) => r.idle());
      location.assign(to);
    },
    async extend() {
      try {
        const response = await post('/auth/session/extend');
        const identity = parseIdentity(await response.json());
        if (response.status === 401) applyIdentity(anonymousIdentity);
        if (!response.ok || !identity?.isAuthenticated) return false;
        store.setIdentity(identity);
        tabs.post({ type: 'session-extended', expiresAt: identity.session.expiresAt });
        track('session_extended');
        return true;
      } catch {
        return false;
      }
    },
    mount(remote, element) {
      const { auth, roles, permissions } = manifest(remote) ?? {};
      const fixed = region(
        element,
        createRouteTable([{ path: '/*', remote, auth, roles, permissions }]),
        true,
      );
      regions.push(fixed);
      fixed.render();
      return () => {
        regions.splice(regions.indexOf(fixed), 1);
        fixed.clear();
      };
    },
    async stop() {
      unsubscribe();
      listening.abort();
      for (const timer of timers) clearTimeout(timer);
      leader = false;
      syncPush();
      releaseLock();
      tabs.close();
      notice?.remove();
      if (telemetry) telemetry.flush();
      await settle((r) => r.clear());
    },
  };
}
