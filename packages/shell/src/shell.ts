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

interface Region {
  readonly element: HTMLElement;
  readonly table: RouteTable;
  readonly fixed?: boolean;
  /** Bumped by every render: a queued step whose token is stale is skipped. */
  token: number;
  /** Steps on one region run one after another. */
  queue: Promise<unknown>;
  mounted?: Mounted | undefined;
  /** What the region shows when it is not a mounted remote. */
  view?: string | undefined;
}

const noop = () => {};
const EMPTY_ROUTE: RouteInfo = { path: '', search: '', params: {} };
const user = (state: AuthState) => JSON.stringify(state.identity.isAuthenticated && state.identity.user);
const post = (url: string, body?: unknown) =>
  fetch(url, {
    method: 'POST',
    keepalive: true,
    // A content type only with a body: an empty JSON body is not JSON.
    headers: body ? { 'content-type': 'application/json', 'x-csrf': '1' } : { 'x-csrf': '1' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

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
  const table = createRouteTable(options.routes ?? routesFromManifests(manifests));
  const loader = createRemoteLoader({ manifests, timeoutMs, nonce: options.nonce });
  const store = createAuthStore();
  const telemetry = telemetryOptions !== false && createTelemetry(telemetryOptions);
  const broken = new Set<string>();
  const state = store.getState;
  let pattern: string | undefined;
  let timers: ReturnType<typeof setTimeout>[] = [];
  /** The session's `expiresAt` once the expiry warning fired (until the session changes). */
  let expiring: string | undefined;
  const later = (fn: () => unknown, ms: number) =>
    timers.push(setTimeout(fn, Math.min(Math.max(ms, 0), 2 ** 31 - 1)));

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
      } as TelemetryEvent);
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

  // Sign-in, and the one flow for a 401 while signed in: mark the session expired everywhere, say so, then
  // sign in again coming back to this route. (Anonymous, a 401 only reaches the remote, which offers login.)
  const login = (returnTo = location.pathname + location.search) =>
    location.assign(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  let notice: HTMLElement | undefined;
  // One W3C trace per user action: a navigation starts a new one, and every API call it leads to shares it.
  let traceId = randomHex(16);
  const api = createApiClient({
    traceId: () => traceId,
    onUnauthenticated() {
      if (notice || state().status !== 'authenticated') return;
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
    const now = state();
    const m = Object(message) as Partial<Record<string, string>>;
    if (m.type === 'logged-out') store.logOut(String(m.reason ?? 'unknown').slice(0, 64));
    else if (m.type === 'session-expired') store.expire();
    else if (m.type === 'session-extended' && now.status === 'authenticated' && Date.parse(m.expiresAt!))
      store.setIdentity({ ...now.identity, session: { expiresAt: m.expiresAt! } });
    else if (m.type === 'logged-in') {
      if (user(now) === 'false' || (now.identity.isAuthenticated && now.identity.user.id !== m.userId))
        refresh();
    } else return;
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
  const run = (region: Region, token: number, step: () => unknown) =>
    (region.queue = region.queue.then(() => token === region.token && step()).catch(console.error));
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
  const show = async (region: Region, key?: string, node?: Node) => {
    const mounted = region.mounted;
    region.mounted = undefined;
    region.view = key;
    region.element.replaceChildren(...(node ? [node] : []));
    if (mounted) {
      mounted.dispose();
      await call('unmount', mounted.name, () => mounted.lifecycle.unmount(mounted.element)).catch(
        console.error,
      );
    }
  };
  const showView = (region: Region, info?: Omit<ViewInfo, 'login'>) => {
    const key = JSON.stringify(info);
    if (region.view !== key || region.mounted)
      run(region, ++region.token, () => show(region, key, info && view(info)));
  };
  // A failing remote is marked broken and shows an error view in its own region; nothing else is touched.
  const fail = (region: Region, name: string, error?: unknown) => {
    if (error) {
      broken.add(name);
      console.error(error);
      track('remote_failed', {
        remoteName: name,
        remoteVersion: manifests.find((m) => m.name === name)?.version,
        errorType: (error as ShellError).code,
      });
    }
    return show(region, `error:${name}`, view({ kind: 'error', remote: name }));
  };
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
  const showRemote = async (region: Region, name: string, route: RouteInfo) => {
    const token = ++region.token;
    const key = JSON.stringify(route) + user(state());
    const mounted = region.mounted;
    if (mounted?.name === name && mounted.key === key) return;
    if (mounted?.name === name && mounted.lifecycle.update)
      return run(region, token, async () => {
        const userChanged = !mounted.key.endsWith(user(state()));
        mounted.key = key;
        const next = context(mounted, route);
        try {
          // Listeners first (a remote drops what it held of the old user), then the re-render.
          if (userChanged) for (const listener of [...mounted.listeners]) listener(next.identity);
          await call('update', name, () => mounted.lifecycle.update!(next, mounted.element));
        } catch (error) {
          await fail(region, name, error);
        }
      });
    if (broken.has(name)) {
      if (region.view !== `error:${name}`) run(region, token, () => fail(region, name));
      return;
    }
    run(region, token, () => show(region, undefined, region.fixed ? undefined : view({ kind: 'loading' })));
    let lifecycle: RemoteLifecycle;
    try {
      lifecycle = await loader.load(name);
    } catch (error) {
      return run(region, token, () => fail(region, name, error));
    }
    return run(region, token, async () => {
      const scoped = scopeEventBus(events);
      const listeners = new Set<(identity: IdentityContext) => void>();
      const element = document.createElement('div');
      element.dataset.gatehouseRemote = name;
      const next: Mounted = {
        name,
        lifecycle,
        element,
        bus: scoped.bus,
        listeners,
        key,
        dispose() {
          scoped.dispose();
          listeners.clear();
        },
      };
      await show(region);
      region.mounted = next;
      region.element.append(element);
      await call('mount', name, () => lifecycle.mount(element, context(next, route))).catch((error) =>
        fail(region, name, error),
      );
    });
  };

  const outlet: Region = { element: options.outlet, table, token: 0, queue: Promise.resolve() };
  const regions = [outlet];
  const renderRegion = (region: Region) => {
    const match = region.table.match(location.pathname + location.search);
    const decision = guard(match, state());
    if (!region.fixed) pattern = match?.route.pattern;
    if (decision.kind === 'render')
      return showRemote(region, match!.route.remote, region.fixed ? EMPTY_ROUTE : match!);
    if (region.fixed) return showView(region);
    if (decision.kind === 'login') return login(decision.returnTo);
    if (decision.kind === 'wait') {
      // Public code may load while the session is checked; protected code never does.
      if (match!.route.auth !== 'required') loader.load(match!.route.remote).catch(noop);
      return showView(region, { kind: 'loading' });
    }
    if (decision.kind === 'no-access')
      track('access_denied', {
        remoteName: match?.route.remote,
        errorType: decision.reason,
        permission: decision.permission,
      });
    showView(region, { kind: decision.kind, ...('reason' in decision ? { reason: decision.reason } : {}) });
  };
  const render = () => {
    traceId = randomHex(16);
    for (const region of regions) renderRegion(region);
  };

  const navigate = (to: string, { replace = false } = {}) => {
    const url = new URL(to, location.href);
    if (url.origin !== location.origin || !table.match(url.pathname)) return location.assign(url.href);
    history[replace ? 'replaceState' : 'pushState'](null, '', url.href);
    render();
  };
  const onClick = (event: MouseEvent) => {
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
      url.origin === location.origin &&
      !(url.hash && url.pathname + url.search === location.pathname + location.search) &&
      table.match(url.pathname)
    ) {
      event.preventDefault();
      navigate(url.href);
    }
  };
  const onHidden = () => document.visibilityState === 'hidden' && telemetry && telemetry.flush();
  // Back from the back/forward cache, the page missed what the other tabs said: ask the BFF.
  const onShow = (event: PageTransitionEvent) => event.persisted && refresh();

  const unsubscribe = store.subscribe((now, previous) => {
    if (previous.status !== 'loading') {
      if (now.status === 'authenticated' && previous.status !== 'authenticated') {
        emit('auth:logged-in', { userId: now.identity.user.id });
        track('logged_in');
      }
      if (now.status === 'expired') {
        emit('auth:session-expired', {});
        track('session_expired');
      }
      if (now.status === 'logged-out') {
        emit('auth:logged-out', { reason: now.reason });
        track('logged_out', { errorType: now.reason });
      }
      if (user(now) !== user(previous)) emit('auth:identity-changed', { identity: now.identity });
    }
    for (const timer of timers) clearTimeout(timer);
    timers = [];
    expiring = undefined;
    if (now.status === 'authenticated') {
      const { expiresAt } = now.identity.session;
      const left = Date.parse(expiresAt) - Date.now();
      later(
        () => {
          expiring = expiresAt;
          emit('auth:session-expiring', { expiresAt });
          track('session_expiring');
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
      addEventListener('popstate', render);
      addEventListener('pageshow', onShow);
      document.addEventListener('click', onClick);
      document.addEventListener('visibilitychange', onHidden);
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
        showView(outlet, { kind: 'error' });
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
      await Promise.all(regions.map((region) => region.queue));
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
      const m = manifests.find((candidate) => candidate.name === remote);
      const region: Region = {
        element,
        table: createRouteTable([
          { path: '/*', remote, auth: m?.auth, roles: m?.roles, permissions: m?.permissions },
        ]),
        fixed: true,
        token: 0,
        queue: Promise.resolve(),
      };
      regions.push(region);
      renderRegion(region);
      return () => {
        regions.splice(regions.indexOf(region), 1);
        run(region, ++region.token, () => show(region));
      };
    },
    async stop() {
      unsubscribe();
      removeEventListener('popstate', render);
      removeEventListener('pageshow', onShow);
      document.removeEventListener('click', onClick);
      document.removeEventListener('visibilitychange', onHidden);
      for (const timer of timers) clearTimeout(timer);
      leader = false;
      syncPush();
      releaseLock();
      tabs.close();
      notice?.remove();
      if (telemetry) telemetry.flush();
      await Promise.all(regions.map((region) => run(region, ++region.token, () => show(region))));
    },
  };
}
