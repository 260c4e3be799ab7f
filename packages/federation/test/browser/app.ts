// The page of the Chromium tests: the real MF runtime with the guard plugin, bundled by esbuild. The test
// drives it through `window.fed`.

import { type AuthState, validateManifest } from '@gatehouse/shell';
import { createInstance } from '@module-federation/runtime';
import { guardFederation } from '../../src/index.js';

interface Config {
  readonly manifests: unknown[];
  readonly allowedOrigins: string[];
  readonly remotes: { name: string; entry: string }[];
  readonly signedIn: boolean;
}
const config = JSON.parse(document.getElementById('config')!.textContent!) as Config;
const manifests = config.manifests.map((m) => validateManifest(m, { allowedOrigins: config.allowedOrigins }));
const alice = {
  isAuthenticated: true,
  user: {
    id: 'user_alice',
    displayName: 'Alice',
    roles: ['customer'],
    permissions: ['wishlist:view'],
    tenants: [],
  },
  session: { expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
};
const state = (): AuthState =>
  (config.signedIn
    ? { status: 'authenticated', identity: alice }
    : { status: 'anonymous', identity: { isAuthenticated: false } }) as AuthState;

const mf = createInstance({
  name: 'shell',
  remotes: [],
  shared: {
    react: {
      version: '19.3.1',
      lib: () => ({ version: '19.3.1' }),
      shareConfig: { singleton: true, requiredVersion: '^19.0.0' },
    },
  },
  plugins: [
    guardFederation({
      manifests,
      remotes: manifests.map((m) => m.name),
      state,
      singletons: { react: '19.3.1' },
    }),
  ],
});

/** What a test asks the page: register remotes and load one; the answer is its text or the error's code. */
(window as unknown as { fed: unknown }).fed = {
  async load(id: string, remote: { name: string; entry: string }) {
    try {
      mf.registerRemotes([{ ...remote, type: 'module' }], { force: true });
      const module = await mf.loadRemote<{ message: string }>(id);
      return { ok: module?.message };
    } catch (error) {
      return { code: (error as { code?: string }).code ?? 'none', message: String(error) };
    }
  },
};
