import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identityScript } from '@gatehouse/bff';
import type { IdentityContext } from '@gatehouse/policy';
import type { ManifestRoute, RemoteManifest } from './build/manifest.js';
import { remoteOriginOf } from './remotes-origin.js';

/** The build manifest (`web/dist/shop-manifest.json`), as `buildWeb` writes it. */
export interface BuiltShop {
  readonly shell: {
    readonly version: string;
    readonly entry: string;
    readonly integrity: string;
    readonly css: { readonly href: string; readonly integrity: string };
    readonly modules: Readonly<Record<string, string>>;
    readonly imports: Readonly<Record<string, string>>;
    readonly shared: Readonly<Record<string, string>>;
  };
  readonly remotes: readonly (RemoteManifest & {
    readonly serve: 'remotes' | 'bff';
    readonly federation?: true;
  })[];
}

/** The build's default origins (docs/http-contract.md#origins), which the manifest's URLs are written for. */
const BUILT_FOR = { bff: 'http://localhost:4000', remotes: 'http://localhost:4002' } as const;

/** `examples/shop/web`, from `src/web` or `dist/web`. */
export const shopWebRoot = join(import.meta.dirname, '../../web');

/** A route rule of the BFF (`routes` option): navigations to `required` paths without a session get a 302. */
export interface NavigationRule {
  readonly path: string;
  readonly auth: 'public' | 'optional' | 'required';
}

/** One entry of the BFF's `assets` option. */
export interface AssetsRule {
  readonly prefix: string;
  readonly dir: string;
  readonly access: 'public' | 'required';
  readonly roles?: string[];
  readonly tenantMember?: boolean;
}

/** The shop's browser half, ready for the BFF: its page, its navigation rules, its static files. */
export interface ShopWeb {
  /** The build manifest with URLs on the origins actually used (the one read at start). */
  readonly built: BuiltShop;
  /**
   * The BFF's `renderPage`. With `verified`, the page is built from `manifest`, the copy the BFF verified
   * (and watches): without one, the page loads no remote and says the shop is unavailable.
   */
  page(context: {
    readonly path: string;
    readonly identity: IdentityContext;
    readonly nonce: string;
    readonly manifest?: unknown;
  }): string;
  /** The manifests `identity` may load (admin and org only for who may load them). */
  remotesFor(identity: IdentityContext): RemoteManifest[];
  /** The BFF's `routes`: every protected route of every remote. */
  readonly navigation: NavigationRule[];
  /** The BFF's `assets`: the shell (public) and the gated remotes (admin: role admin; org: a tenant member). */
  readonly assets: AssetsRule[];
  /** Folder per remote served by the remotes origin (the public ones only). */
  readonly publicRemotes: Readonly<Record<string, string>>;
  /** Exact origins remote code may come from. */
  readonly allowedOrigins: string[];
  /** The origins the public remotes are served from (the page's CSP lists each). */
  readonly remoteOrigins: string[];
}

/** Options of {@link loadShopWeb}. */
export interface LoadShopWebOptions {
  readonly bffUrl: string;
  readonly remotesUrl: string;
  readonly shopName?: string;
  /** The web folder (`shell/dist`, `remotes/<name>/dist`, `dist/shop-manifest.json`); default {@link shopWebRoot}. */
  readonly root?: string;
  /** The build manifest's file; default `<root>/dist/shop-manifest.json`. */
  readonly manifestPath?: string;
  /** The build manifest, already read (and its signature checked): then no file is read. */
  readonly manifest?: unknown;
  /**
   * Render each page from the manifest the BFF hands `renderPage` (its `manifest` option: verified at start
   * and on every change), never from a file of its own; no verified manifest, no remote (fail closed).
   */
  readonly verified?: boolean;
  /** Each public remote on its own origin, `http://<name>.localhost:<port>` (see `startRemotesOrigin`). */
  readonly originPerRemote?: boolean;
}

/** The origins in use: the BFF's, and the one each public remote is served from. */
interface Origins {
  readonly bff: string;
  readonly remotes: (name: string) => string;
}

const rebase = (url: string, origins: Origins, name: string) =>
  url.startsWith(`${BUILT_FOR.remotes}/`)
    ? origins.remotes(name) + url.slice(BUILT_FOR.remotes.length)
    : url.startsWith(`${BUILT_FOR.bff}/`)
      ? origins.bff + url.slice(BUILT_FOR.bff.length)
      : url;
/** The shell is served by the page's own origin: its URLs become paths (`/shell/main-….js`). */
const samePath = (url: string) =>
  url.startsWith(`${BUILT_FOR.bff}/`) ? url.slice(BUILT_FOR.bff.length) : url;

/** The build manifest (as `buildWeb` writes it, for the default origins) on the origins in use. */
function rebaseShop(raw: unknown, origins: Origins): BuiltShop {
  const shop = raw as BuiltShop | undefined;
  if (
    typeof shop !== 'object' ||
    shop === null ||
    typeof shop.shell?.entry !== 'string' ||
    typeof shop.shell.css?.href !== 'string' ||
    !Array.isArray(shop.remotes)
  )
    throw new Error('not a shop manifest: { shell, remotes } expected');
  const { shell } = shop;
  return {
    shell: {
      ...shell,
      entry: samePath(shell.entry),
      css: { ...shell.css, href: samePath(shell.css.href) },
      modules: Object.fromEntries(Object.entries(shell.modules).map(([url, hash]) => [samePath(url), hash])),
      imports: Object.fromEntries(Object.entries(shell.imports).map(([name, url]) => [name, samePath(url)])),
    },
    remotes: shop.remotes.map((remote) => ({
      ...remote,
      entry: rebase(remote.entry, origins, remote.name),
      modules: Object.fromEntries(
        Object.entries(remote.modules).map(([url, hash]) => [rebase(url, origins, remote.name), hash]),
      ),
    })),
  };
}

/** The routes of a remote with the manifest's rules, as `@gatehouse/shell`'s `routesFromManifests` makes them. */
function routeDefinition(manifest: RemoteManifest) {
  return {
    remote: manifest.name,
    auth: manifest.auth,
    ...(manifest.roles ? { roles: manifest.roles } : {}),
    ...(manifest.permissions ? { permissions: manifest.permissions } : {}),
    children: manifest.routes.map((route) => (typeof route === 'string' ? { path: route } : route)),
  };
}

const usesTenant = (routes: readonly (string | ManifestRoute)[]): boolean =>
  routes.some(
    (route) =>
      typeof route !== 'string' && (route.tenantParam !== undefined || usesTenant(route.children ?? [])),
  );

/** Every path pattern a remote's routes declare, with the auth each needs (for the BFF's navigation rules). */
function navigationRules(manifest: RemoteManifest): NavigationRule[] {
  const rules: NavigationRule[] = [];
  const walk = (route: string | ManifestRoute, parent: string, required: boolean) => {
    const r: ManifestRoute = typeof route === 'string' ? { path: route } : route;
    const path = r.path
      ? r.path.startsWith('/')
        ? r.path
        : `${parent.replace(/\/$/, '')}/${r.path}`
      : parent;
    const needs =
      required ||
      r.auth === 'required' ||
      Boolean(r.roles?.length || r.permissions?.length || r.tenantParam !== undefined);
    if (path) rules.push({ path, auth: needs ? 'required' : (r.auth ?? manifest.auth) });
    for (const child of r.children ?? []) walk(child, path, needs);
  };
  const required =
    manifest.auth === 'required' || Boolean(manifest.roles?.length || manifest.permissions?.length);
  for (const route of manifest.routes) walk(route, '', required);
  return rules;
}

/** Whether `identity` may load a remote's code: the manifest's auth, roles, permissions and tenant rule. */
export function mayLoad(manifest: RemoteManifest, identity: IdentityContext): boolean {
  const tenant = usesTenant(manifest.routes);
  const required = manifest.auth === 'required' || manifest.roles || manifest.permissions || tenant;
  if (!required) return true;
  if (!identity.isAuthenticated) return false;
  const { user } = identity;
  if (manifest.roles && !manifest.roles.some((role) => user.roles.includes(role))) return false;
  if (manifest.permissions && !manifest.permissions.every((p) => (user.permissions as string[]).includes(p)))
    return false;
  return !tenant || user.tenants.length > 0;
}

/** JSON inside a `<script type="application/json">` or an import map: `<` escaped so it cannot close it. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
const attr = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const FAVICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#c2410c"/><path d="M16 6l9 10-9 10-9-10z" fill="#fff"/></svg>',
)}`;

/** The skeleton the page shows until the shell's script has run (and the auth state is known). */
const SKELETON = `<header class="site-header"><div class="site-header__bar"><div class="skeleton skeleton--brand"></div>
<div class="skeleton skeleton--search"></div><div class="site-header__actions"><div class="skeleton skeleton--pill"></div></div></div></header>
<main class="site-main" aria-busy="true"><div class="route-skeleton"><div class="skeleton skeleton--title"></div>
<div class="product-grid"><div class="skeleton skeleton--card"></div><div class="skeleton skeleton--card"></div><div class="skeleton skeleton--card"></div><div class="skeleton skeleton--card"></div></div></div></main>`;

/**
 * Loads the built shop (`web/dist/shop-manifest.json`) for a BFF at `bffUrl` and remotes at `remotesUrl`.
 * The page it renders carries: the stylesheet; ONE import map mapping the shared modules (React, React DOM,
 * the Gatehouse runtime) to the shell's copies, with the `integrity` of every shell module; the identity
 * context; the shell's config (the manifests this user may load and the whole route table); and the shell's
 * module, nonced and pinned. With `verified`, every page is built from the manifest the BFF verified.
 *
 * @example
 * const web = loadShopWeb({ bffUrl: 'http://localhost:4000', remotesUrl: 'http://localhost:4002' });
 * await createBffServer({ config, renderPage: web.page });
 */
export function loadShopWeb(options: LoadShopWebOptions): ShopWeb {
  const origins: Origins = {
    bff: new URL(options.bffUrl).origin,
    remotes: (name) => remoteOriginOf(options.remotesUrl, name, options.originPerRemote ?? false),
  };
  const root = options.root ?? shopWebRoot;
  const path = options.manifestPath ?? join(root, 'dist/shop-manifest.json');
  let raw = options.manifest;
  if (raw === undefined) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw new Error(
        `the shop's web build is missing (${path}): npm start builds it; in code, await buildWeb() first`,
        { cause },
      );
    }
  }
  const shopName = options.shopName ?? 'Bazaar';
  const manifestOf = ({ serve: _serve, federation: _mf, ...manifest }: BuiltShop['remotes'][number]) =>
    manifest;
  const dirOf = (name: string) => join(root, 'remotes', name, 'dist');

  /** What a page needs of one manifest, computed once per manifest object. */
  const viewOf = (built: BuiltShop) => ({
    built,
    routes: built.remotes.map(routeDefinition),
    allowedOrigins: [...new Set(built.remotes.map((remote) => new URL(remote.entry).origin))].sort(),
    remotesFor: (identity: IdentityContext) =>
      built.remotes.filter((remote) => mayLoad(remote, identity)).map(manifestOf),
    /** The Module Federation containers among the remotes (the shell loads them with @gatehouse/federation). */
    federated: built.remotes.filter((remote) => remote.federation).map((remote) => remote.name),
  });
  const atStart = viewOf(rebaseShop(raw, origins));
  const views = new WeakMap<object, ReturnType<typeof viewOf> | null>();
  /** The view of the manifest the BFF handed this page, or `null`: none (it stopped verifying), or not a shop's. */
  const verifiedView = (manifest: unknown) => {
    if (typeof manifest !== 'object' || manifest === null) return null;
    let view = views.get(manifest);
    if (view === undefined) {
      try {
        view = viewOf(rebaseShop(manifest, origins));
      } catch {
        view = null;
      }
      views.set(manifest, view);
    }
    return view;
  };
  const { built } = atStart;

  return {
    built,
    remotesFor: atStart.remotesFor,
    allowedOrigins: atStart.allowedOrigins,
    remoteOrigins: [
      ...new Set(
        built.remotes
          .filter((remote) => remote.serve !== 'bff')
          .map((remote) => new URL(remote.entry).origin),
      ),
    ].sort(),
    navigation: built.remotes.flatMap(navigationRules).filter((rule) => rule.auth !== 'public'),
    assets: [
      { prefix: '/shell/', dir: join(root, 'shell/dist'), access: 'public' },
      ...built.remotes
        .filter((remote) => remote.serve === 'bff')
        .map(
          (remote): AssetsRule => ({
            prefix: `/remotes/${remote.name}/`,
            dir: dirOf(remote.name),
            access: 'required',
            ...(remote.roles ? { roles: [...remote.roles] } : {}),
            ...(usesTenant(remote.routes) ? { tenantMember: true } : {}),
          }),
        ),
    ],
    publicRemotes: Object.fromEntries(
      built.remotes
        .filter((remote) => remote.serve !== 'bff')
        .map((remote) => [remote.name, dirOf(remote.name)]),
    ),
    page({ identity, nonce, manifest }) {
      const view = options.verified ? verifiedView(manifest) : atStart;
      // Fail closed: without a verified manifest the page names no remote, so the shell loads none and says
      // why. The shell's own files are pinned by the hashes verified at start.
      const { shell } = (view ?? atStart).built;
      const config = view
        ? {
            shopName,
            version: shell.version,
            remotes: view.remotesFor(identity),
            federated: view.federated,
            routes: view.routes,
            allowedOrigins: view.allowedOrigins,
            origin: origins.bff,
          }
        : {
            shopName,
            version: shell.version,
            remotes: [],
            routes: [],
            allowedOrigins: [],
            unavailable: true,
          };
      // The shell's modules are pinned here; the remotes' hashes travel in their manifests, and the runtime
      // adds them to the page's import map (a second map, merged) before it imports any remote.
      const integrity = shell.modules;
      return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${attr(shopName)} — shop online</title>
<meta name="description" content="${attr(shopName)}: electronics, home and kitchen, fashion, books and sports, delivered across India.">
<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="${attr(shell.css.href)}" integrity="${attr(shell.css.integrity)}">
<script type="importmap" nonce="${attr(nonce)}">${scriptJson({ imports: shell.imports, integrity })}</script>
${identityScript(identity)}
<script type="application/json" id="shop-config">${scriptJson(config)}</script>
<script type="module" nonce="${attr(nonce)}" src="${attr(shell.entry)}" integrity="${attr(shell.integrity)}"></script>
</head>
<body>
<div id="app">${SKELETON}</div>
<noscript><p class="state">${attr(shopName)} needs JavaScript.</p></noscript>
</body>
</html>
`;
    },
  };
}
