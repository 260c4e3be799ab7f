// The bench page for the Module Federation figure: the MF runtime loads one container and mounts its exposed
// `remote`, with @gatehouse/federation's guard plugin (`guarded`) or without it (`plain`), chosen by the page's
// config. It records the time from navigation start to the first mount in `window.benchMounted`.

import { guardFederation } from '@gatehouse/federation';
import { validateManifest } from '@gatehouse/shell';
import { createInstance } from '@module-federation/runtime';

const config = JSON.parse(document.getElementById('config')!.textContent!) as {
  guarded: boolean;
  manifest: { name: string; entry: string };
  allowedOrigins: string[];
};
const manifest = validateManifest(config.manifest, config);
const mf = createInstance({
  name: 'bench_host',
  remotes: [{ name: manifest.name, entry: manifest.entry, type: 'module' }],
  plugins: config.guarded
    ? [
        guardFederation({
          manifests: [manifest],
          remotes: [manifest.name],
          state: () => ({ status: 'anonymous', identity: { isAuthenticated: false } }),
        }),
      ]
    : [],
});
const module = await mf.loadRemote<{ remote: { mount(element: HTMLElement): void } }>(
  `${manifest.name}/remote`,
);
module!.remote.mount(document.getElementById('outlet')!);
(window as unknown as { benchMounted: number }).benchMounted = performance.now();
