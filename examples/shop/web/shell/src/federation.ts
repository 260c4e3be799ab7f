import type { AuthState, RemoteLoader, RemoteManifest } from '@gatehouse/shell';
import * as React from 'react';
import * as JsxRuntime from 'react/jsx-runtime';
import * as ReactDOM from 'react-dom';
import * as ReactDOMClient from 'react-dom/client';

/**
 * The shell's `loader` option for the shop's Module Federation remotes (the wishlist): the MF runtime and
 * `@gatehouse/federation`'s guard plugin are loaded on the first federated remote only (a page that shows
 * none pays nothing for them); the shell's React is every container's shared singleton; any other remote
 * goes to the shell's own loader.
 */
export function federation(federated: readonly string[], state: () => AuthState) {
  return (own: RemoteLoader, manifests: readonly RemoteManifest[]): RemoteLoader => {
    let loader: Promise<RemoteLoader> | undefined;
    const start = async () => {
      const [{ createInstance }, { federatedLoader, guardFederation }] = await Promise.all([
        import('@module-federation/runtime'),
        import('@gatehouse/federation'),
      ]);
      const { version } = React;
      const share = (lib: object) => ({
        version,
        lib: () => lib,
        shareConfig: { singleton: true, requiredVersion: `^${version}` },
      });
      const mf = createInstance({
        name: 'shop_shell',
        remotes: [],
        shared: {
          react: share(React),
          'react/jsx-runtime': share(JsxRuntime),
          'react-dom': share(ReactDOM),
          'react-dom/client': share(ReactDOMClient),
        },
        plugins: [
          guardFederation({
            manifests,
            remotes: federated,
            state,
            singletons: { react: version, 'react-dom': ReactDOM.version },
          }),
        ],
      });
      mf.registerRemotes(
        manifests
          .filter((m) => federated.includes(m.name))
          .map((m) => ({ name: m.name, entry: m.entry, type: 'module' })),
      );
      return federatedLoader({ federation: mf, remotes: federated })(own);
    };
    return {
      load(name) {
        if (!federated.includes(name)) return own.load(name);
        loader ??= start();
        return loader.then((l) => l.load(name));
      },
    };
  };
}
