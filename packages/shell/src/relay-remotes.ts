/**
 * Remotes whose code the BFF serves behind the session (`access: 'required'` assets), named where a hybrid
 * app's WebView can load them. The WebView holds no cookie and no handle, so a module fetched from the BFF's
 * origin arrives without the session and is refused. The native host mirrors the BFF's origin at the app's
 * own origin instead, attaching the handle itself (docs/hybrid-apps.md, "Remotes the BFF serves"): a URL on
 * the BFF's origin becomes the same path on the app's origin, and the BFF still decides who gets the code.
 */

/** The manifests and the allowed origins as the page's shell must get them. */
export interface RelayedRemotes {
  readonly manifests: unknown[];
  readonly allowedOrigins: string[];
}

/** `url` on `to` instead of `from`, when it is on `from`; any other value as it is. */
const moved = (url: unknown, from: string, to: string): unknown =>
  typeof url === 'string' && url.startsWith(`${from}/`) ? to + url.slice(from.length) : url;

/** One manifest with its entry and module URLs moved; anything that is not an object is left to the shell to refuse. */
function relayManifest(manifest: unknown, from: string, to: string): unknown {
  if (typeof manifest !== 'object' || manifest === null) return manifest;
  const { entry, modules } = manifest as { entry?: unknown; modules?: unknown };
  return {
    ...manifest,
    ...(entry === undefined ? {} : { entry: moved(entry, from, to) }),
    ...(typeof modules === 'object' && modules !== null
      ? {
          modules: Object.fromEntries(
            Object.entries(modules).map(([url, hash]) => [moved(url, from, to) as string, hash]),
          ),
        }
      : {}),
  };
}

/**
 * Moves the code the page's server (`served`: the BFF's origin, where the page's URLs were written) serves
 * to `appOrigin` (default: the page's own origin), where a native host relays it to the BFF with the session
 * handle. The hashes are not touched: the shell still pins every module by its manifest's integrity, so the
 * relay cannot change a byte unseen. In a browser, where the page is on `served`, nothing changes. The
 * manifests are not validated here; `createShell` does that, as for any manifest.
 *
 * @example
 * const bridge = await startNativeBridge();
 * const { manifests, allowedOrigins } = bridge
 *   ? relayRemotes(config.remotes, config.allowedOrigins, config.origin)
 *   : { manifests: config.remotes, allowedOrigins: config.allowedOrigins };
 * createShell({ outlet, remotes: manifests, allowedOrigins, fetch: bridge?.fetch });
 */
export function relayRemotes(
  manifests: readonly unknown[],
  allowedOrigins: readonly string[],
  served: string,
  appOrigin: string = location.origin,
): RelayedRemotes {
  if (served === appOrigin) return { manifests: [...manifests], allowedOrigins: [...allowedOrigins] };
  return {
    manifests: manifests.map((manifest) => relayManifest(manifest, served, appOrigin)),
    allowedOrigins: [...new Set(allowedOrigins.map((origin) => (origin === served ? appOrigin : origin)))],
  };
}
