import { type LockedDependency, type Permission, remoteManifestKeys } from '@gatehouse/policy';
import { deepFreeze } from '@gatehouse/remote';
import { ShellError } from './errors.js';
import { createRouteTable, type RouteAuth, type RouteDefinition } from './routes.js';

/**
 * How a remote is described (docs/http-contract.md#browser-side): what to load, pinned by hash, and where it goes.
 *
 * @example
 * const orders: RemoteManifest = {
 *   name: 'orders', version: '1.4.0',
 *   entry: 'https://cdn.example/orders/1.4.0/index.js', integrity: 'sha384-…',
 *   modules: { 'https://cdn.example/orders/1.4.0/chunk-a1b2.js': 'sha384-…' },
 *   routes: ['/orders', '/orders/:id'], auth: 'required', permissions: ['orders:view'],
 *   shared: { '@gatehouse/remote': '^0.1.0' },
 * };
 */
export interface RemoteManifest {
  /** Lower-case letters, digits and `-`: `orders`. */
  readonly name: string;
  readonly version: string;
  /** Absolute URL of the entry module, on an allow-listed origin. */
  readonly entry: string;
  /** `sha384-<base64>` of the entry module's bytes. */
  readonly integrity: string;
  /**
   * Every other module the entry imports (chunks), URL → `sha384-…`. A module missing here would load
   * unchecked, so list them all (the build writes this map).
   */
  readonly modules?: Readonly<Record<string, string>>;
  /** Routes this remote renders; they inherit `auth`, `roles` and `permissions` below. */
  readonly routes?: readonly (string | RouteDefinition)[];
  readonly auth?: RouteAuth;
  readonly roles?: readonly string[];
  readonly permissions?: readonly Permission[];
  /** Shared dependency → the version range the remote was built against. */
  readonly shared?: Readonly<Record<string, string>>;
  /**
   * The third-party packages the remote's build resolved (name, version, integrity from its lock), for
   * `gatehouse doctor`: signed with the rest, not read by the shell.
   */
  readonly dependencies?: readonly LockedDependency[];
}

/** Options of {@link validateManifest}. */
export interface ManifestOptions {
  /** Exact origins (`https://cdn.example`) remote code may come from. */
  readonly allowedOrigins: readonly string[];
}

/**
 * The origin of an absolute, canonical http(s) URL without credentials or fragment, else `undefined`.
 *
 * @example
 * originOf('https://cdn.example/orders/index.js') // 'https://cdn.example'
 * originOf('https://user@cdn.example/x.js')       // undefined
 */
export function originOf(url: unknown): string | undefined {
  try {
    const u = new URL(url as string);
    if (/^https?:$/.test(u.protocol) && !u.username && !u.password && !u.hash && u.href === url)
      return u.origin;
  } catch {
    // not a URL
  }
  return undefined;
}

/**
 * Checks a remote manifest and returns it deep-frozen. Refused, all listed in one `GH_SHELL_BAD_MANIFEST`:
 * unknown keys; a missing or malformed name or version; an entry or module URL that is not an absolute,
 * canonical http(s) URL (no credentials, no fragment) on an allow-listed origin, or a module on another origin
 * than the entry's (another remote's); an `integrity` that is not
 * exactly one `sha384-` hash (SRI ignores unknown algorithms, so anything else would load unchecked); routes,
 * auth, roles or permissions the route table refuses; `shared` that is not package → version range.
 *
 * @example
 * const manifest = validateManifest(await (await fetch('/remotes/orders.json')).json(), {
 *   allowedOrigins: ['https://cdn.example'],
 * });
 */
export function validateManifest(value: unknown, options: ManifestOptions): RemoteManifest {
  const problems: string[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: untrusted JSON, every field is checked below
  const m: any = value;
  try {
    for (const key of Object.keys(m))
      if (!remoteManifestKeys.includes(key)) problems.push(`unknown key "${key.slice(0, 40)}"`);
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(m.name)) problems.push('name must match [a-z][a-z0-9-]*');
    if (!/^\S{1,64}$/.test(m.version)) problems.push('version must be a short string');
    // The entry and every other module: on an allowed origin, pinned by one SHA-384.
    for (const [url, hash] of [[m.entry, m.integrity], ...Object.entries(m.modules ?? {})]) {
      const where = String(url).slice(0, 100);
      const origin = originOf(url);
      // The entry's own origin (never a module from another remote's), and an allowed one (an undefined
      // origin, not a URL, is never in the list).
      if (origin !== originOf(m.entry) || !options.allowedOrigins.includes(origin as string))
        problems.push(`${where}: not an absolute URL on an allowed origin`);
      // Exactly one SHA-384 (SRI skips an unknown algorithm, which would load unchecked).
      if (!/^sha384-[A-Za-z0-9+/]{64}$/.test(hash)) problems.push(`${where}: integrity must be one sha384-…`);
    }
    if (!Object.values(m.shared ?? {}).every((range) => typeof range === 'string'))
      problems.push('shared: version ranges must be strings');
    createRouteTable(routesFromManifests([m]));
  } catch (error) {
    problems.push(...((error as ShellError).problems ?? [String(error)]));
  }
  if (problems.length)
    throw new ShellError('GH_SHELL_BAD_MANIFEST', `remote "${String(m?.name).slice(0, 64)}" refused`, {
      problems,
    });
  return deepFreeze(structuredClone(m));
}

/**
 * The route table entries that manifests declare: each remote's routes, under its manifest-level `auth`,
 * `roles` and `permissions` (a route can add requirements, never remove them).
 *
 * @example
 * createRouteTable(routesFromManifests(manifests));
 */
export function routesFromManifests(manifests: readonly RemoteManifest[]): RouteDefinition[] {
  return manifests.map(({ name, routes = [], auth, roles, permissions }) => ({
    remote: name,
    // A falsy value counts as absent.
    auth: auth || undefined,
    roles,
    permissions: permissions || undefined,
    children: routes.map((route) => (typeof route === 'string' ? { path: route } : route)),
  }));
}
