import { type TelemetryEvent, upstreamNamePattern } from '@gatehouse/policy';
import {
  type ApiClient,
  type ApiRequestInit,
  ForbiddenError,
  type RemoteContext,
  type RemoteLifecycle,
} from '@gatehouse/remote';
import type { RemoteLoader } from './loader.js';
import type { RemoteManifest } from './manifest.js';

/**
 * `@gatehouse/shell/upstreams`: each remote's API client reaches only the upstreams its manifest entry
 * declares (`"upstreams": ["orders", "catalog"]`); a call to another is refused before any request, with an
 * {@link UndeclaredUpstreamError} and telemetry (`upstream_refused`). A shell that does not import it pays
 * nothing for it (its own line in `npm run size`).
 *
 * What it is, honestly: a guard against a remote's mistakes (a copy-pasted path, a call a team did not mean
 * to ship), not against a hostile remote. Remotes share the page's JavaScript realm: one that wants to can
 * call `fetch('/api/billing')` itself, and the BFF cannot tell its request from the shell's. The BFF's
 * upstream allow-list and each API's own authorization (per-audience tokens, permissions) are the real
 * boundary; isolating a hostile remote needs its own origin (a sandboxed iframe).
 */

const UPSTREAM = new RegExp(upstreamNamePattern);

/** A call to an upstream the remote did not declare: refused before it left, as a 403 would be. */
export class UndeclaredUpstreamError extends ForbiddenError {
  static override readonly kind: string = 'UndeclaredUpstreamError';
  /** The remote that made the call. */
  declare readonly remote: string;
  /** The upstream it named (`billing` of `/api/billing/…`), or `''` for a path that names none. */
  declare readonly upstream: string;

  constructor(remote: string, upstream: string) {
    const detail = `The remote "${remote}" does not declare the upstream "${upstream}".`;
    super({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'forbidden', detail });
    this.remote = remote;
    this.upstream = upstream;
  }
}

/** Options of {@link declareUpstreams}. */
export interface DeclaredUpstreamsOptions {
  /** Where a refusal is reported: the shell's telemetry (`createTelemetry().track`), say. */
  readonly track?: (event: TelemetryEvent) => void;
}

/** What {@link declareUpstreams} answers: the manifests for `createShell`, and its loader. */
export interface DeclaredUpstreams {
  /** The manifests as `createShell({ remotes })` takes them: each without its `upstreams` key. */
  readonly remotes: readonly unknown[];
  /** `createShell({ loader })`: every remote that declared upstreams gets an API client held to them. */
  readonly loader: (own: RemoteLoader, manifests: readonly RemoteManifest[]) => RemoteLoader;
  /** The upstreams each remote declared (a remote that declared none is not held to any list). */
  readonly declared: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The upstream a call's path names: `orders` of `/api/orders/1?x`, read as the API client reads it. */
function upstreamOf(path: string): string {
  const url = new URL(path, 'http://h');
  const [, api, name] = url.pathname.split('/');
  return url.host === 'h' && api === 'api' && name !== undefined ? name : '';
}

/** `api`, refusing every call whose upstream is not in `allowed`. */
function heldApi(
  api: ApiClient,
  remote: string,
  allowed: ReadonlySet<string>,
  options: DeclaredUpstreamsOptions,
): ApiClient {
  const check = (path: string) => {
    const upstream = upstreamOf(path);
    if (allowed.has(upstream)) return;
    options.track?.({ type: 'upstream_refused', remoteName: remote, errorType: 'undeclared_upstream' });
    throw new UndeclaredUpstreamError(remote, upstream);
  };
  // Every method goes through `request`, which refuses first: nothing leaves for an undeclared upstream.
  const request = async <T>(method: string, path: string, init?: ApiRequestInit): Promise<T> => {
    check(path);
    return api.request<T>(method, path, init);
  };
  const withBody =
    (method: string) =>
    <T>(path: string, body?: unknown, init?: ApiRequestInit) =>
      request<T>(method, path, { ...init, body });
  return Object.freeze({
    request,
    get: <T>(path: string, init?: ApiRequestInit) => request<T>('GET', path, init),
    post: withBody('POST'),
    put: withBody('PUT'),
    patch: withBody('PATCH'),
    delete: <T>(path: string, init?: ApiRequestInit) => request<T>('DELETE', path, init),
  });
}

/** `lifecycle`, handing `mount` and `update` a context whose API client is held to `allowed`. */
function heldLifecycle(
  lifecycle: RemoteLifecycle,
  allowed: ReadonlySet<string>,
  options: DeclaredUpstreamsOptions,
): RemoteLifecycle {
  const held = (context: RemoteContext): RemoteContext =>
    Object.freeze({ ...context, api: heldApi(context.api, context.name, allowed, options) });
  const { update } = lifecycle;
  return Object.freeze({
    mount: (element: HTMLElement, context: RemoteContext) => lifecycle.mount(element, held(context)),
    unmount: (element: HTMLElement) => lifecycle.unmount(element),
    ...(update
      ? {
          update: (context: RemoteContext, element: HTMLElement) =>
            update.call(lifecycle, held(context), element),
        }
      : {}),
  });
}

/**
 * Reads each manifest's `upstreams` (a list of upstream names as the BFF's configuration names them) and
 * takes it off, so `createShell` gets manifests it knows; answers those and the loader that holds each
 * remote's API client to its list. A manifest whose `upstreams` is not such a list keeps the key, so the
 * shell refuses that remote (fail closed: a declaration this guard cannot read is not silently dropped), and
 * the reason is logged.
 *
 * @example
 * const upstreams = declareUpstreams(manifests, { track: telemetry.track });
 * const shell = createShell({ outlet, allowedOrigins, remotes: upstreams.remotes, loader: upstreams.loader });
 */
export function declareUpstreams(
  remotes: readonly unknown[],
  options: DeclaredUpstreamsOptions = {},
): DeclaredUpstreams {
  const declared = new Map<string, ReadonlySet<string>>();
  const stripped = remotes.map((manifest) => {
    if (typeof manifest !== 'object' || manifest === null || !('upstreams' in manifest)) return manifest;
    const { upstreams, ...rest } = manifest as Record<string, unknown>;
    const name = rest.name;
    const valid =
      typeof name === 'string' &&
      Array.isArray(upstreams) &&
      upstreams.length <= 64 &&
      upstreams.every((upstream) => typeof upstream === 'string' && UPSTREAM.test(upstream));
    if (!valid) {
      console.error(`remote ${String(name).slice(0, 64)}: "upstreams" must be a list of upstream names`);
      return manifest;
    }
    declared.set(name, new Set(upstreams as string[]));
    return rest;
  });
  return Object.freeze({
    remotes: stripped,
    declared,
    loader: (own: RemoteLoader) => ({
      load: async (name: string) => {
        const lifecycle = await own.load(name);
        const allowed = declared.get(name);
        return allowed ? heldLifecycle(lifecycle, allowed, options) : lifecycle;
      },
    }),
  });
}
