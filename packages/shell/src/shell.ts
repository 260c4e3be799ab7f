import type { IdentityContext, LoginOptions } from '@gatehouse/policy';
import {
  type ApiClient,
  createApiClient,
  createEventBus,
  createRemoteContext,
  type EventBus,
  randomHex,
} from '@gatehouse/remote';
import { createAuthStore, type ReadonlyAuthStore } from './auth-store.js';
import { ShellError } from './errors.js';
import type { ShellFetch } from './identity.js';
import { createLinks, here } from './links.js';
import { createRemoteLoader, type RemoteLoader } from './loader.js';
import { originOf, type RemoteManifest, routesFromManifests, validateManifest } from './manifest.js';
import { createRegion, type Region, type RegionHost, type ViewRequest } from './region.js';
import { createRouteTable, type RouteDefinition, type RouteTable } from './routes.js';
import { createSessionSync, type SessionSyncOptions } from './session-sync.js';
import { createTelemetry, type TelemetryEvent, type TelemetryOptions } from './telemetry.js';
import { defaultView, type ViewRenderer } from './views.js';

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
  /**
   * Sends the API client's calls and the shell's own (`/auth/session`, `/auth/session/extend`,
   * `/auth/logout`); the global `fetch` by default. A hybrid app passes the native host's bridge
   * (`nativeBridge().fetch` of `@gatehouse/shell/native`).
   */
  readonly fetch?: ShellFetch;
  /** The BFF's push channel (`GET /auth/events`); `false` turns it off. */
  readonly push?: false | { readonly url?: string };
  /** The coarse role group telemetry reports; by default the sorted roles joined by `+`. */
  readonly roleGroup?: (identity: IdentityContext) => string;
  /** The page's CSP nonce for the import map; read from the page by default. */
  readonly nonce?: string;
  /**
   * Wraps the remote loader, for remotes loaded another way (`@gatehouse/federation`'s Module Federation
   * loader); it gets the shell's own loader to hand every other remote to.
   */
  readonly loader?: (own: RemoteLoader, manifests: readonly RemoteManifest[]) => RemoteLoader;
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
  /**
   * `GET /auth/login?returnTo=…` (the current route by default), with the issuer options of `options`
   * (`prompt`, `login_hint`, `max_age`, `acr_values`, `ui_locales`). After `prompt: 'none'` that could not sign in
   * silently, the app is back at `returnTo` with the outcome for `readLoginOutcome(location.search)`.
   */
  login(returnTo?: string, options?: LoginOptions): void;
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

/**
 * The shell runtime: auth store, route guard, remote loader, API client, event bus, cross-tab sync, push
 * channel, expiry warning and telemetry, wired together. Framework-agnostic; never sees a token.
 * Throws `GH_SHELL_BAD_OPTIONS` when `allowedOrigins` holds anything but exact origins; a manifest that is
 * refused is logged and left out (its routes show the error view).
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
// long-function: the wiring, in the order it runs: the parts, what they share (the host), then the Shell.
// Pieces moved out of this closure take what they use as arguments, which the runtime's size budget
// (test/size.test.ts, 9,497 B gzip of its 9,500 B, measured by `npm run size`) counts (the telemetry tracker
// as a function: 13 B more). The parts live in session-sync.ts, region.ts and links.ts.
export function createShell(options: ShellOptions): Shell {
  const { timeoutMs = 10_000, telemetry: telemetryOptions } = options;
  // The remotes' manifests, validated (in here, not a function of its own: 10 B less).
  if (!options.allowedOrigins.every((origin) => originOf(`${origin}/`) === origin))
    throw new ShellError('GH_SHELL_BAD_OPTIONS', 'allowedOrigins must be exact origins');
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
  const store = createAuthStore();
  const state = store.getState;
  const telemetry = telemetryOptions === false ? undefined : createTelemetry(telemetryOptions);
  const listening = new AbortController();

  const track = (type: string, extra?: Omit<TelemetryEvent, 'type'>) => {
    const { identity, status } = state();
    telemetry?.track({
      type,
      route: table.match(here())?.route.pattern,
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

  // Sign-in, and the one flow for a 401 while signed in: mark the session expired everywhere, say so, then
  // sign in again coming back to this route. (Anonymous, a 401 only reaches the remote, which offers login.)
  // The options go as they are: their names are the wire's, and URLSearchParams writes max_age in decimal.
  const login = (returnTo = here(), options?: LoginOptions) =>
    location.assign(
      `/auth/login?${new URLSearchParams({ returnTo, ...(options as Record<string, string>) })}`,
    );
  let notice: HTMLElement | undefined;
  // One W3C trace per user action: a navigation starts a new one, and every API call it leads to shares it.
  let traceId = randomHex(16);
  const api = createApiClient({
    fetch: options.fetch,
    traceId: () => traceId,
    onUnauthenticated(_error, sentAt) {
      if (notice || !session.refused(sentAt)) return;
      notice = document.body.appendChild(document.createElement('div'));
      notice.append(view({ kind: 'expired-notice' }));
      setTimeout(login, options.loginDelayMs ?? 2500);
    },
    onError: (error) => track('api_error', { errorType: `${error.status} ${error.code}` }),
  });
  const view = (info: ViewRequest): Node => {
    const full = { ...info, login: () => login() };
    return options.view?.(full) ?? defaultView(full);
  };

  // What the regions and the session sync share.
  const host: RegionHost & SessionSyncOptions = {
    state,
    loader: (options.loader ?? ((own) => own))(
      createRemoteLoader({ manifests, timeoutMs, nonce: options.nonce }),
      manifests,
    ),
    events,
    timeoutMs,
    broken: new Set(),
    context: (init) => createRemoteContext({ ...init, identity: state().identity, api, login, navigate }),
    login,
    view,
    track,
    manifest,
    push: options.push ?? {},
    fetch: options.fetch,
    warnBeforeMs: options.warnBeforeMs ?? 120_000,
  };
  const session = createSessionSync(store, host);
  const outlet = createRegion(host, options.outlet, table);
  const regions = [outlet];
  const render = () => {
    traceId = randomHex(16);
    for (const r of regions) r.render();
  };
  const settle = (step: (r: Region) => Promise<unknown>) => Promise.all(regions.map(step));
  const links = createLinks(table, render);
  const navigate = links.navigate;

  // After the session sync's own steps (auth events, expiry timers, push connection), every region renders.
  const unsubscribe = store.subscribe(render);

  return {
    auth: { getState: state, subscribe: store.subscribe },
    events,
    api,
    routes: table,
    async start() {
      const { signal } = listening;
      links.listen(signal);
      document.addEventListener(
        'visibilitychange',
        () => document.visibilityState === 'hidden' && telemetry?.flush(),
        { signal },
      );
      render();
      try {
        await session.start(signal);
      } catch (error) {
        outlet.showView({ kind: 'error' });
        throw error;
      }
    },
    navigate,
    login,
    expiring: session.expiring,
    async logout() {
      const to = await session.logout();
      await settle((r) => r.idle());
      location.assign(to);
    },
    extend: session.extend,
    mount(remote, element) {
      // Every path, under the manifest's rules.
      const routes = routesFromManifests([
        { ...manifest(remote), name: remote, routes: ['/*'] } as RemoteManifest,
      ]);
      const fixed = createRegion(host, element, createRouteTable(routes), true);
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
      session.stop();
      notice?.remove();
      telemetry?.flush();
      await settle((r) => r.clear());
    },
  };
}
