import {
  type AuthState,
  createRouteTable,
  guard,
  pinModules,
  type RemoteManifest,
  routesFromManifests,
  withTimeout,
} from '@gatehouse/shell';
import type { ModuleFederationRuntimePlugin } from '@module-federation/runtime';
import { satisfy } from '@module-federation/runtime';
import { FederationError } from './errors.js';

/** Options of {@link guardFederation}. */
export interface FederationGuardOptions {
  /**
   * The validated manifests (the signed Gatehouse manifest's, as `validateManifest` returns them): each
   * federated remote's entry (`remoteEntry.js` or `mf-manifest.json`) and every chunk it loads, pinned by
   * SHA-384 on an allow-listed origin.
   */
  readonly manifests: readonly RemoteManifest[];
  /** The names of the remotes that are Module Federation containers; any other remote is refused. */
  readonly remotes: readonly string[];
  /** The auth state now (`shell.auth.getState`): a remote is fetched only once it allows the remote. */
  readonly state: () => AuthState;
  /**
   * The host's shared singletons and their versions (`{ react: '19.3.1', '@gatehouse/remote': '0.1.0' }`): a
   * remote whose range does not accept the version is refused.
   */
  readonly singletons?: Readonly<Record<string, string>>;
  /** Longest wait for a remote entry, in ms (10 000). */
  readonly timeoutMs?: number;
  /** The page's CSP nonce for the import map; read from the page's first nonced script by default. */
  readonly nonce?: string;
}

/** What MF calls a remote, as far as the checks need it. */
interface RemoteLike {
  readonly name: string;
  readonly alias?: string;
  readonly entry?: string;
  readonly type?: string;
}

const name = 'gatehouse-federation';

/**
 * The Module Federation 2 runtime plugin that puts MF remotes under Gatehouse's rules, with MF's own hooks:
 * - `beforeRegisterRemote`: only a remote whose signed manifest names it federated, with that entry;
 * - `beforeRequest`: the auth state must allow the remote (the manifest's `auth`, `roles`, `permissions`)
 *   and its shared ranges must accept the host's singletons, before anything is fetched;
 * - `loadEntry`: an ES-module entry is imported only after the import map pins its bytes and every chunk's
 *   (SHA-384, checked by the browser; the map is written, and proven enforced, as soon as such a remote
 *   registers; the entry's bytes are preloaded, checked and not run, meanwhile); `createScript` and `fetch` give a script entry or an `mf-manifest.json` their pinned
 *   `integrity`, and refuse any URL the manifest does not pin;
 * - `initContainer` and `resolveShare`: a singleton the remote registers or resolves in a version its
 *   range refuses is an error (`GH_FED_SHARED_CONFLICT`), where MF would only warn.
 * Every refusal is a {@link FederationError}; nothing is fetched before the checks pass (fail closed).
 *
 * @example
 * const mf = createInstance({ name: 'shell', remotes: [], plugins: [guardFederation({
 *   manifests, remotes: ['wishlist'], state: shell.auth.getState, singletons: { react: React.version },
 * })] });
 */
// long-function: the one plugin object MF takes; its hooks, in the order MF calls them, share the pins and
// manifest look-ups built at the top, and each hook is a few lines.
export function guardFederation(options: FederationGuardOptions): ModuleFederationRuntimePlugin {
  const { singletons = {} } = options;
  const federated = options.manifests.filter((m) => options.remotes.includes(m.name));
  const manifestOf = (remote: string) => {
    const manifest = federated.find((m) => m.name === remote);
    if (!manifest) throw new FederationError('GH_FED_UNKNOWN_REMOTE', remote, 'no signed federated manifest');
    return manifest;
  };
  // url → SHA-384, for every federated remote: the only URLs MF may fetch.
  const pins = new Map<string, string>();
  for (const m of federated)
    for (const [url, hash] of [[m.entry, m.integrity], ...Object.entries(m.modules ?? {})])
      pins.set(url!, hash!);
  const pinOf = (url: string, remote = 'federation') => {
    const hash = pins.get(url);
    if (!hash) throw new FederationError('GH_FED_UNPINNED', remote, `${url.slice(0, 100)} is not pinned`);
    return hash;
  };
  const checkRemote = (remote: RemoteLike) => {
    const manifest = manifestOf(remote.name);
    if (remote.entry !== manifest.entry)
      throw new FederationError(
        'GH_FED_UNPINNED',
        remote.name,
        `entry ${String(remote.entry).slice(0, 100)}`,
      );
    return manifest;
  };
  let pinned: Promise<void> | undefined;
  const nonce = () => options.nonce ?? document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce;
  const pin = () => (pinned ??= pinModules(federated, nonce()));

  return {
    name,
    beforeRegisterRemote(args) {
      const remote = args.remote as RemoteLike;
      checkRemote(remote);
      // An ES-module remote's pins are written and proven now, off its first load's path; that load waits
      // for them (and fails if they failed: the rejection is kept for it, not reported here).
      if ((remote.type === 'module' || remote.type === 'esm') && typeof document === 'object')
        pin().catch(() => {});
      return args;
    },
    async beforeRequest(args) {
      const remote = (args.options.remotes as RemoteLike[]).find((r) =>
        [r.name, r.alias].some((key) => key && (args.id === key || args.id.startsWith(`${key}/`))),
      );
      if (!remote)
        throw new FederationError('GH_FED_UNKNOWN_REMOTE', args.id.split('/')[0]!, 'not registered');
      const manifest = checkRemote(remote);
      allow(manifest, options.state());
      for (const [pkg, version] of Object.entries(singletons)) {
        const range = manifest.shared?.[pkg];
        if (range && !satisfy(version, range)) conflict(manifest.name, pkg, version, range);
      }
      return args;
    },
    async loadEntry({ remoteInfo }) {
      const manifest = manifestOf(remoteInfo.name);
      pinOf(remoteInfo.entry, remoteInfo.name);
      allow(manifest, options.state());
      if (remoteInfo.type !== 'module' && remoteInfo.type !== 'esm') return undefined;
      // The entry's bytes are fetched (checked by the link's own `integrity`, never run) while the import map
      // is still being proven: the import below, which runs it, still waits for the proof.
      const link = document.createElement('link');
      link.rel = 'modulepreload';
      link.integrity = pinOf(remoteInfo.entry, remoteInfo.name);
      link.nonce = nonce() ?? '';
      link.href = remoteInfo.entry;
      document.head.append(link);
      await pin();
      return withTimeout(
        import(/* @vite-ignore */ remoteInfo.entry).catch((cause: unknown) => {
          throw new FederationError('GH_FED_LOAD_FAILED', remoteInfo.name, 'entry did not load', { cause });
        }),
        options.timeoutMs ?? 10_000,
        `load of "${remoteInfo.name}"`,
      );
    },
    createScript({ url, remoteInfo }) {
      const script = document.createElement('script');
      script.integrity = pinOf(url, remoteInfo?.name);
      script.crossOrigin = 'anonymous';
      return script;
    },
    async fetch(url, init, remoteInfo) {
      const integrity = pinOf(url, remoteInfo?.name);
      // The caller's credentials mode (same-origin by default): a gated file needs the session cookie.
      return fetch(url, { ...init, integrity });
    },
    async initContainer(args) {
      // The singletons this remote registered: each must accept the host's version.
      for (const [pkg, version] of Object.entries(singletons))
        for (const provided of Object.values(args.shareScope[pkg] ?? {})) {
          const range = provided.shareConfig?.requiredVersion;
          if (provided.from === args.remoteInfo.name && typeof range === 'string' && !satisfy(version, range))
            conflict(args.remoteInfo.name, pkg, version, range);
        }
      return args;
    },
    resolveShare(args) {
      const { resolver, shareInfo, pkgName } = args;
      const range = shareInfo.shareConfig?.requiredVersion;
      if (!shareInfo.shareConfig?.singleton || typeof range !== 'string') return args;
      args.resolver = () => {
        const chosen = resolver();
        if (chosen && !satisfy(chosen.shared.version, range))
          conflict(shareInfo.from, pkgName, chosen.shared.version, range);
        return chosen;
      };
      return args;
    },
  };
}

/** Throws `GH_FED_FORBIDDEN` unless `state` allows the remote by its manifest's auth, roles and permissions. */
function allow(manifest: RemoteManifest, state: AuthState): void {
  const table = createRouteTable(routesFromManifests([{ ...manifest, routes: ['/*'] }]));
  const decision = guard(table.match('/'), state);
  if (decision.kind !== 'render')
    throw new FederationError('GH_FED_FORBIDDEN', manifest.name, `not allowed now (${decision.kind})`);
}

function conflict(remote: string, pkg: string, version: string, range: string): never {
  throw new FederationError(
    'GH_FED_SHARED_CONFLICT',
    remote,
    `shared singleton ${pkg} ${version} does not satisfy ${range}`,
  );
}
