// `gatehouse doctor` for Module Federation remotes: reads a remote's mf-manifest.json (its entry, or the file
// beside its remoteEntry.js) and checks it against the signed Gatehouse manifest.

/** The parts of an MF 2 `mf-manifest.json` the checks read. */
interface MfAssets {
  readonly js?: { readonly sync?: readonly string[]; readonly async?: readonly string[] };
}
export interface MfManifest {
  readonly metaData?: {
    readonly publicPath?: string;
    readonly remoteEntry?: { readonly name?: string; readonly path?: string };
  };
  readonly shared?: ReadonlyArray<{
    readonly name: string;
    readonly version?: string;
    readonly requiredVersion?: string;
    readonly singleton?: boolean;
    readonly assets?: MfAssets;
  }>;
  readonly exposes?: ReadonlyArray<{ readonly assets?: MfAssets }>;
  readonly remotes?: ReadonlyArray<{ readonly federationContainerName?: string; readonly entry?: string }>;
}

/** What {@link checkMfManifest} found: URLs to check like the remote's own, and the singletons' ranges. */
export interface MfFindings {
  /** Every file the container may load (its entry, each expose's and share's chunks), absolute. */
  readonly files: string[];
  /** URLs the container names outside its own files (nested remotes, an absolute publicPath). */
  readonly foreign: string[];
  /** Singleton shared package → the range the container requires. */
  readonly singletons: Record<string, string>;
}

/** Where the container's mf-manifest.json is: the entry itself, or beside a `remoteEntry.js`. */
export function mfManifestUrl(entry: string): string | undefined {
  if (/\/mf-manifest\.json$/.test(entry)) return entry;
  if (/\/remoteEntry\.js$/.test(entry)) return new URL('mf-manifest.json', entry).href;
  return undefined;
}

/**
 * The files, foreign URLs and singleton ranges an mf-manifest.json at `url` declares: the remoteEntry and the
 * chunks of every expose and share, resolved against its `publicPath` (`auto`: the manifest's folder).
 *
 * @example
 * const found = checkMfManifest(JSON.parse(text), 'https://cdn.example/wishlist/mf-manifest.json');
 */
export function checkMfManifest(manifest: MfManifest, url: string): MfFindings {
  const publicPath = manifest.metaData?.publicPath;
  const absolutePublicPath = publicPath && /^https?:\/\//.test(publicPath) ? publicPath : undefined;
  const base = absolutePublicPath ?? new URL('.', url).href;
  const at = (path: string) => new URL(path, base).href;
  const files = new Set<string>();
  const entry = manifest.metaData?.remoteEntry;
  if (entry?.name) files.add(at(`${entry.path ? `${entry.path.replace(/\/$/, '')}/` : ''}${entry.name}`));
  const add = (assets?: MfAssets) => {
    for (const path of [...(assets?.js?.sync ?? []), ...(assets?.js?.async ?? [])]) files.add(at(path));
  };
  for (const expose of manifest.exposes ?? []) add(expose.assets);
  const singletons: Record<string, string> = {};
  for (const share of manifest.shared ?? []) {
    add(share.assets);
    const range = share.requiredVersion ?? share.version;
    if (share.singleton && range) singletons[share.name] = range;
  }
  const foreign = [
    ...(absolutePublicPath ? [absolutePublicPath] : []),
    ...(manifest.remotes ?? []).flatMap((remote) =>
      remote.entry && /^https?:\/\//.test(remote.entry) ? [remote.entry] : [],
    ),
  ];
  return { files: [...files], foreign, singletons };
}
