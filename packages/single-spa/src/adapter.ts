import type { IdentityContext } from '@gatehouse/policy';
import { createRemoteContext, type RemoteLifecycle, type RouteInfo, scopeEventBus } from '@gatehouse/remote';
import {
  createRouteTable,
  guard,
  type RemoteLoader,
  type RemoteManifest,
  routesFromManifests,
  type Shell,
} from '@gatehouse/shell';
import { SingleSpaError } from './errors.js';

/** What the adapter takes from the page: the running shell, its remotes' manifests and a loader. */
export interface SingleSpaHost {
  readonly shell: Pick<Shell, 'auth' | 'api' | 'events' | 'routes' | 'login' | 'navigate'>;
  /** The validated manifests (the same the shell got). */
  readonly manifests: readonly RemoteManifest[];
  /** `createRemoteLoader({ manifests })`: every module pinned by import-map integrity, fail closed. */
  readonly loader: RemoteLoader;
}

/** single-spa's lifecycle functions, as `registerApplication` and `mountRootParcel` take them. */
export interface SingleSpaLifecycles {
  bootstrap(): Promise<void>;
  mount(props: { readonly domElement?: HTMLElement; readonly name?: string }): Promise<void>;
  unmount(props: object): Promise<void>;
  update(props: object): Promise<void>;
}

const here = (): RouteInfo => ({ path: location.pathname, search: location.search, params: {} });

/** Throws `GH_SPA_UNKNOWN_REMOTE` or `GH_SPA_FORBIDDEN` unless the auth state allows `name` now. */
function allow(host: SingleSpaHost, name: string): void {
  const manifest = host.manifests.find((m) => m.name === name);
  if (!manifest) throw new SingleSpaError('GH_SPA_UNKNOWN_REMOTE', `no valid manifest for "${name}"`);
  const table = createRouteTable(routesFromManifests([{ ...manifest, routes: ['/*'] }]));
  const decision = guard(table.match('/'), host.shell.auth.getState());
  if (decision.kind !== 'render')
    throw new SingleSpaError('GH_SPA_FORBIDDEN', `"${name}" is not allowed now (${decision.kind})`);
}

/**
 * A Gatehouse remote as single-spa lifecycles, for a parcel (`mountRootParcel`, `mountParcel`) or an
 * application: `mount` checks the remote's manifest rules against the auth state before anything is fetched
 * (`GH_SPA_FORBIDDEN`), loads it through the shell's loader (integrity pinned, fail closed) and mounts it in a
 * child of `domElement` (an application's: `#single-spa-application:<name>`) with a frozen `RemoteContext`
 * (identity, `can`, the API client, a scoped bus, auth changes), never a token; `update` hands it a new one;
 * `unmount` unmounts it and drops its listeners.
 *
 * @example
 * const parcel = mountRootParcel(gatehouseLifecycles(host, 'greeter'), { domElement: element });
 */
export function gatehouseLifecycles(host: SingleSpaHost, name: string): SingleSpaLifecycles {
  let mounted:
    | {
        remote: RemoteLifecycle;
        element: HTMLElement;
        dispose(): void;
        context(): ReturnType<typeof createRemoteContext>;
      }
    | undefined;
  return {
    bootstrap: async () => {},
    async mount(props) {
      allow(host, name);
      const remote = await host.loader.load(name);
      const container =
        props.domElement ?? document.getElementById(`single-spa-application:${props.name ?? name}`);
      if (!container) throw new SingleSpaError('GH_SPA_UNKNOWN_REMOTE', `no element for "${name}"`);
      const element = container.appendChild(document.createElement('div'));
      const scoped = scopeEventBus(host.shell.events);
      const listeners = new Set<(identity: IdentityContext) => void>();
      const off = host.shell.auth.subscribe((state) => {
        for (const listener of [...listeners]) listener(state.identity);
      });
      const context = () =>
        createRemoteContext({
          name,
          identity: host.shell.auth.getState().identity,
          route: here(),
          api: host.shell.api,
          events: scoped.bus,
          onAuthChange(listener) {
            listeners.add(listener);
            return () => void listeners.delete(listener);
          },
          login: host.shell.login,
          navigate: host.shell.navigate,
        });
      const dispose = () => {
        off();
        scoped.dispose();
        listeners.clear();
        element.remove();
      };
      mounted = { remote, element, dispose, context };
      try {
        await remote.mount(element, context());
      } catch (error) {
        dispose();
        mounted = undefined;
        throw error;
      }
    },
    async update() {
      if (mounted) await mounted.remote.update?.(mounted.context(), mounted.element);
    },
    async unmount() {
      const current = mounted;
      mounted = undefined;
      if (!current) return;
      try {
        await current.remote.unmount(current.element);
      } finally {
        current.dispose();
      }
    },
  };
}

/**
 * `registerApplication`'s configuration for a Gatehouse remote: active only when the current route belongs to
 * it AND the route guard says render (so a protected remote is not even loaded before sign-in), with
 * {@link gatehouseLifecycles}. Pair it with {@link followAuth} so activity is checked again when the auth
 * state changes.
 *
 * @example
 * registerApplication(gatehouseApplication(host, 'orders'));
 * followAuth(shell, triggerAppChange);
 * start();
 */
export function gatehouseApplication(host: SingleSpaHost, name: string) {
  return {
    name,
    app: async () => gatehouseLifecycles(host, name),
    activeWhen: (where: Location | URL) => {
      const match = host.shell.routes.match(where.pathname + where.search);
      return match?.route.remote === name && guard(match, host.shell.auth.getState()).kind === 'render';
    },
  };
}

/**
 * Asks single-spa to check every application's activity again on each auth change (sign-in, sign-out,
 * expiry): single-spa only checks on navigation. Returns the function that stops it.
 *
 * @example
 * import { triggerAppChange } from 'single-spa';
 * followAuth(shell, triggerAppChange);
 */
export function followAuth(shell: Pick<Shell, 'auth'>, triggerAppChange: () => unknown): () => void {
  return shell.auth.subscribe(() => void triggerAppChange());
}
