import type { IdentityContext, LoginOptions } from '@gatehouse/policy';
import {
  type EventBus,
  type RemoteContext,
  type RemoteContextInit,
  type RemoteLifecycle,
  type RouteInfo,
  scopeEventBus,
} from '@gatehouse/remote';
import { type AuthState, signedInUser } from './auth-store.js';
import { ShellError } from './errors.js';
import { guard } from './guard.js';
import { here } from './links.js';
import { type RemoteLoader, withTimeout } from './loader.js';
import type { RemoteManifest } from './manifest.js';
import type { RouteTable } from './routes.js';
import type { TelemetryEvent } from './telemetry.js';
import type { ViewInfo } from './views.js';

/** A view to show, without its sign-in action (the host adds it). */
export type ViewRequest = Omit<ViewInfo, 'login'>;

/** What every region of one page shares: the shell's parts a region uses. */
export interface RegionHost {
  /** The auth state now. */
  readonly state: () => AuthState;
  readonly loader: RemoteLoader;
  /** The page's bus: each mounted remote gets a scoped view of it. */
  readonly events: EventBus;
  /** Longest wait for a remote's mount, update or unmount, in ms. */
  readonly timeoutMs: number;
  /** Remotes that failed on this page: they show the error view from then on, in every region. */
  readonly broken: Set<string>;
  /** A remote's context: the shell adds the identity now, the API client, sign-in and navigation. */
  context(init: Pick<RemoteContextInit, 'name' | 'route' | 'events' | 'onAuthChange'>): RemoteContext;
  login(returnTo?: string, options?: LoginOptions): void;
  /** Renders a view: the app's own, else the default. */
  view(info: ViewRequest): Node;
  /** Reports to telemetry. */
  track(type: string, extra?: Omit<TelemetryEvent, 'type'>): void;
  /** A remote's manifest (its version goes to telemetry). */
  manifest(name: string): RemoteManifest | undefined;
}

/** A part of the page the shell renders: the outlet, or a fixed region (`shell.mount`). */
export interface Region {
  /** Shows what the current route and auth state call for. */
  render(): void;
  /** Shows a view (none: empty) instead of a remote. */
  showView(info?: ViewRequest): void;
  /** Unmounts and empties the region. */
  clear(): Promise<unknown>;
  /** Settles once every queued step has run. */
  idle(): Promise<unknown>;
}

/** A remote mounted in a region. */
interface Mounted {
  readonly name: string;
  /** Its lifecycle. */
  readonly remote: RemoteLifecycle;
  /** The remote's own child element: a late `mount` writes into a detached node. */
  readonly element: HTMLElement;
  readonly bus: EventBus;
  readonly listeners: Set<(identity: IdentityContext) => void>;
  readonly dispose: () => void;
  /** The route and user it was last mounted or updated with. */
  key: string;
}

/**
 * A region: what it shows follows the route (the outlet) or its remote's rules (a fixed region), one step at
 * a time. A render queues its steps behind the previous ones and makes them stale: a stale step is skipped.
 * A failing remote is marked broken and shows the error view in its own region; nothing else is touched.
 *
 * @example
 * const outlet = createRegion(host, document.getElementById('app')!, table);
 * outlet.render();
 */
// long-function: one closure, on purpose: every step shares the host, the region's queue, token and
// mounted remote. As separate functions they would pass them around, and the runtime's size budget
// (test/size.test.ts, 9,497 B gzip of its 9,500 B, measured by `npm run size`) counts every name passed (the
// helpers below took the host as an argument: 7 B more; the render decision as a function: 18 B more).
export function createRegion(
  host: RegionHost,
  element: HTMLElement,
  table: RouteTable,
  fixed?: boolean,
): Region {
  const { state, view, broken } = host;
  /** `fn` (a remote's mount, update or unmount), with a timeout; a throw becomes `GH_SHELL_MOUNT_FAILED`. */
  const call = (what: string, name: string, fn: () => unknown) =>
    withTimeout(
      Promise.resolve()
        .then(fn)
        .catch((cause) => {
          throw new ShellError('GH_SHELL_MOUNT_FAILED', `${what} of "${name}" threw`, { cause });
        }),
      host.timeoutMs,
      `${what} of "${name}"`,
    );
  /** A remote's context for a mount or an update: its route, its scoped bus, its auth listeners. */
  const context = (mounted: Mounted, route: RouteInfo) =>
    host.context({
      name: mounted.name,
      route,
      events: mounted.bus,
      onAuthChange(listener) {
        mounted.listeners.add(listener);
        return () => void mounted.listeners.delete(listener);
      },
    });

  /** A loaded remote ready to mount: its element, its scoped bus and its auth listeners. */
  const attach = (name: string, lifecycle: RemoteLifecycle, key: string): Mounted => {
    const scoped = scopeEventBus(host.events);
    const listeners = new Set<(identity: IdentityContext) => void>();
    const element = document.createElement('div');
    element.dataset.gatehouseRemote = name;
    return {
      name,
      remote: lifecycle,
      element,
      bus: scoped.bus,
      listeners,
      key,
      dispose() {
        scoped.dispose();
        listeners.clear();
      },
    };
  };
  /** Bumped by every render: a queued step whose token is stale is skipped. */
  let token = 0;
  /** Steps on one region run one after another. */
  let queue: Promise<unknown> = Promise.resolve();
  let mounted: Mounted | undefined;
  /** The view the region shows (as JSON) when it is not a mounted remote. */
  let shown: string | undefined;
  const run = (at: number, step: () => unknown) =>
    (queue = queue.then(() => at === token && step()).catch(console.error));
  /** Unmounts the remote, if any, and shows `info`'s view (none: empty). */
  const show = async (info?: ViewRequest) => {
    const previous = mounted;
    mounted = undefined;
    shown = JSON.stringify(info);
    element.replaceChildren(...(info ? [view(info)] : []));
    if (previous) {
      previous.dispose();
      await call('unmount', previous.name, () => previous.remote.unmount(previous.element)).catch(
        console.error,
      );
    }
  };
  const showView = (info?: ViewRequest) => {
    if (shown !== JSON.stringify(info) || mounted) run(++token, () => show(info));
  };
  const fail = (name: string, error: unknown) => {
    broken.add(name);
    console.error(error);
    host.track('remote_failed', {
      remoteName: name,
      remoteVersion: host.manifest(name)?.version,
      errorType: (error as ShellError).code,
    });
    return show({ kind: 'error', remote: name });
  };
  const showRemote = (name: string, route: RouteInfo) => {
    const at = ++token;
    const key = JSON.stringify(route) + signedInUser(state());
    const current = mounted;
    if (current?.name === name && current.key === key) return;
    if (current?.name === name && current.remote.update)
      run(at, async () => {
        const userChanged = !current.key.endsWith(signedInUser(state()));
        current.key = key;
        const next = context(current, route);
        try {
          // Listeners first (a remote drops what it held of the old user), then the re-render.
          if (userChanged) for (const listener of [...current.listeners]) listener(next.identity);
          await call('update', name, () => current.remote.update!(next, current.element));
        } catch (error) {
          await fail(name, error);
        }
      });
    else if (broken.has(name)) showView({ kind: 'error', remote: name });
    else {
      run(at, () => show(fixed ? undefined : { kind: 'loading' }));
      host.loader.load(name).then(
        (lifecycle) =>
          run(at, async () => {
            const next = attach(name, lifecycle, key);
            await show();
            mounted = next;
            element.append(next.element);
            await call('mount', name, () => lifecycle.mount(next.element, context(next, route))).catch(
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
      // A fixed region's remote gets an empty route.
      if (kind === 'render')
        showRemote(match!.route.remote, fixed ? { path: '', search: '', params: {} } : match!);
      else if (fixed) showView();
      else if (kind === 'login') host.login(decision.returnTo);
      else if (kind === 'wait') {
        // Public code may load while the session is checked; protected code never does.
        if (match!.route.auth !== 'required') host.loader.load(match!.route.remote).catch(() => {});
        showView({ kind: 'loading' });
      } else {
        if (kind === 'no-access')
          host.track('access_denied', {
            remoteName: match?.route.remote,
            errorType: decision.reason,
            permission: decision.permission,
          });
        showView({ kind, reason: (decision as { reason?: string }).reason });
      }
    },
    showView,
    clear: () => run(++token, () => show()),
    idle: () => queue,
  };
}
