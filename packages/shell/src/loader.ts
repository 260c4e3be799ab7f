import { defineRemote, type RemoteLifecycle } from '@gatehouse/remote';
import { ShellError } from './errors.js';
import type { RemoteManifest } from './manifest.js';

/** Options of {@link createRemoteLoader}. */
export interface RemoteLoaderOptions {
  /** Validated manifests (`validateManifest`). */
  readonly manifests: readonly RemoteManifest[];
  /** Longest wait for a remote's module, in ms (10 000 by default). */
  readonly timeoutMs?: number;
  /** The page's CSP nonce for the import map; read from the page's first nonced script by default. */
  readonly nonce?: string;
}

/** Loads remote modules, each once, pinned by the manifest's hashes. */
export interface RemoteLoader {
  /**
   * The remote's lifecycle. Rejects with `GH_SHELL_UNKNOWN_REMOTE`, `GH_SHELL_INTEGRITY_UNSUPPORTED`,
   * `GH_SHELL_LOAD_FAILED` (404, changed bytes, no valid `remote` export) or `GH_SHELL_TIMEOUT`; a failed
   * load stays failed for the page's life (the browser caches a failed module too).
   */
  load(name: string): Promise<RemoteLifecycle>;
}

let trustedTypesPolicy: { createScript(source: string): unknown } | undefined;

/**
 * `promise`, or a rejection with `GH_SHELL_TIMEOUT` when it takes longer than `ms`.
 *
 * @example
 * await withTimeout(remote.mount(element, context), 10_000, 'mounting "orders"');
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new ShellError('GH_SHELL_TIMEOUT', `${what} timed out (${ms} ms)`)), ms),
    ),
  ]);
}

// The canary: a module (`export{}`) whose SHA-384 pinModules knows. Importing it under that hash must work,
// under any other must fail. (Its text and hash are written where they are used, not as named constants: the
// runtime's bundle is smaller that way.) A `data:` URL, not a blob: a page's first `URL.createObjectURL` waits
// on the browser process (~60 ms of a first mount, bench/federation/). A random MIME parameter makes each
// call's URLs new — in the module map and in the merged import maps — and leaves the bytes, so the hash, as is.
const canaryUrl = () => `data:text/javascript;n=${Math.random()},export{}`;
const imports = (url: string) =>
  import(/* @vite-ignore */ url).then(
    () => true,
    () => false,
  );

/**
 * Writes one import map with the `integrity` of every module of every manifest, then proves the browser
 * enforces it: a local canary module loads under its true hash and fails under a false one. Anything else
 * (no import-map integrity, the map blocked by CSP or Trusted Types) throws `GH_SHELL_INTEGRITY_UNSUPPORTED`:
 * fail closed, no remote loads unchecked. Exported for loaders of other kinds (`@gatehouse/federation`): a page
 * may hold several import maps (Chromium merges them), each pinning its own modules.
 *
 * @example
 * await pinModules(manifests, document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce);
 */
export async function pinModules(
  manifests: readonly RemoteManifest[],
  nonce: string | undefined,
): Promise<void> {
  const good = canaryUrl();
  const bad = canaryUrl();
  const integrity: Record<string, string> = {
    // The SHA-384 of `export{}`.
    [good]: 'sha384-T9wtfzHBAEG71Fa/wFmFXCrNCLZJB/nESrYm41otTxLB9m9XX4ftBy7LK/VKEMIL',
    [bad]: `sha384-${'A'.repeat(64)}`,
  };
  for (const m of manifests) Object.assign(integrity, m.modules, { [m.entry]: m.integrity });
  try {
    const script = document.createElement('script');
    script.type = 'importmap';
    if (nonce) script.nonce = nonce;
    const text = JSON.stringify({ integrity });
    trustedTypesPolicy ??= (
      globalThis as { trustedTypes?: { createPolicy(n: string, o: object): typeof trustedTypesPolicy } }
    ).trustedTypes?.createPolicy('gatehouse', { createScript: (s: string) => s });
    script.textContent = (trustedTypesPolicy?.createScript(text) ?? text) as string;
    document.head.append(script);
  } catch (cause) {
    throw new ShellError('GH_SHELL_INTEGRITY_UNSUPPORTED', 'import map refused', { cause });
  }
  // Both canaries at once: the verdict needs both answers either way.
  const [loaded, forged] = await Promise.all([imports(good), imports(bad)]);
  if (!loaded || forged)
    throw new ShellError('GH_SHELL_INTEGRITY_UNSUPPORTED', 'import map integrity not enforced');
}

/**
 * The remote loader: allow-listed origins and hashes come from validated manifests; every module is pinned
 * through the import map's `integrity` before the first import; each import has a timeout.
 *
 * @example
 * const loader = createRemoteLoader({ manifests, timeoutMs: 8000 });
 * const orders = await loader.load('orders');
 * await orders.mount(element, context);
 */
export function createRemoteLoader(options: RemoteLoaderOptions): RemoteLoader {
  const loads = new Map<string, Promise<RemoteLifecycle>>();
  let pinned: Promise<void> | undefined;
  const load = async (name: string) => {
    const manifest = options.manifests.find((m) => m.name === name);
    if (!manifest) throw new ShellError('GH_SHELL_UNKNOWN_REMOTE', `no valid manifest for "${name}"`);
    pinned ??= pinModules(
      options.manifests,
      options.nonce ?? document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce,
    );
    await pinned;
    const module = await withTimeout(
      import(/* @vite-ignore */ manifest.entry).catch((cause: unknown) => {
        throw new ShellError('GH_SHELL_LOAD_FAILED', `load of "${name}" failed`, { cause });
      }),
      options.timeoutMs ?? 10_000,
      `load of "${name}"`,
    );
    try {
      return defineRemote((module as { remote: RemoteLifecycle }).remote);
    } catch (cause) {
      throw new ShellError('GH_SHELL_LOAD_FAILED', `"${name}" exports no valid remote`, { cause });
    }
  };
  return {
    load: (name) => loads.get(name) ?? loads.set(name, load(name)).get(name)!,
  };
}
