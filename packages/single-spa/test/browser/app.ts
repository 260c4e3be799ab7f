// The page of the single-spa Chromium test: the real shell runtime and single-spa, bundled by esbuild; the
// test drives a parcel through `window.spa`.
import { createRemoteLoader, createShell, validateManifest } from '@gatehouse/shell';
import { mountRootParcel } from 'single-spa';
import { gatehouseLifecycles } from '../../src/index.js';

const config = JSON.parse(document.getElementById('config')!.textContent!) as {
  manifests: unknown[];
  allowedOrigins: string[];
};
const manifests = config.manifests.map((m) => validateManifest(m, config));
const shell = createShell({
  outlet: document.getElementById('outlet')!,
  remotes: config.manifests,
  allowedOrigins: config.allowedOrigins,
  routes: [],
  push: false,
  telemetry: false,
});
const loader = createRemoteLoader({ manifests });
await shell.start();

(window as unknown as { spa: unknown }).spa = {
  /** Mounts `name` as a root parcel, then unmounts it; answers what it showed, or the error's code. */
  async parcel(name: string) {
    const element = document.body.appendChild(document.createElement('section'));
    const parcel = mountRootParcel(gatehouseLifecycles({ shell, manifests, loader }, name) as never, {
      domElement: element,
    });
    try {
      await parcel.mountPromise;
      const shown = element.textContent;
      await parcel.unmount();
      return { ok: shown, after: element.textContent, status: parcel.getStatus() };
    } catch (error) {
      return { code: (error as { code?: string }).code ?? String(error), status: parcel.getStatus() };
    }
  },
};
