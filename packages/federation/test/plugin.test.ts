/// <reference types="node" />

import type { AuthState } from '@gatehouse/shell';
import { createInstance } from '@module-federation/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FederationErrorCode, guardFederation } from '../src/index.js';
import { manifestFor, Origin, states } from './fixtures.js';

// The real Module Federation runtime, in Node, with the guard plugin: every refusal here happens before any
// request (the origin records them all). Loading and integrity in a browser: test/browser/.
const cdn = await new Origin().listen();
cdn.files.set('/wishlist/remoteEntry.js', 'export const get = () => {}; export const init = () => {};');
cdn.files.set('/wishlist/mf-manifest.json', '{"id":"wishlist","name":"wishlist"}');
cdn.files.set('/wishlist/old/remoteEntry.js', 'export const get = () => {};');
const wishlist = manifestFor(cdn, 'wishlist', '/wishlist/remoteEntry.js', {
  auth: 'required',
  permissions: ['wishlist:view'],
  shared: { react: '^19.0.0' },
});
const oldReact = manifestFor(cdn, 'old', '/wishlist/old/remoteEntry.js', { shared: { react: '^18.2.0' } });
let state: AuthState = states.anonymous;
const plugin = guardFederation({
  manifests: [wishlist, oldReact],
  remotes: ['wishlist', 'old'],
  state: () => state,
  singletons: { react: '19.3.1' },
});

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: FederationErrorCode }) => error.code ?? String(error),
  );
let n = 0;
const host = (remotes: { name: string; entry: string; type?: string }[]) =>
  createInstance({ name: `host${n++}`, remotes, plugins: [plugin] });

afterAll(() => cdn.close());

describe('guardFederation in the Module Federation runtime', () => {
  beforeAll(() => {
    state = states.anonymous;
  });

  it('refuses to register a remote no signed manifest names, or one whose entry is elsewhere', () => {
    expect(() => host([{ name: 'evil', entry: 'https://evil.example/remoteEntry.js' }])).toThrow(
      expect.objectContaining({ code: 'GH_FED_UNKNOWN_REMOTE' }),
    );
    expect(() => host([{ name: 'wishlist', entry: 'https://evil.example/remoteEntry.js' }])).toThrow(
      expect.objectContaining({ code: 'GH_FED_UNPINNED' }),
    );
    const mf = host([]);
    expect(() =>
      mf.registerRemotes([{ name: 'wishlist', entry: `${cdn.origin}/wishlist/other.js` }], { force: true }),
    ).toThrow(expect.objectContaining({ code: 'GH_FED_UNPINNED' }));
    expect(cdn.requests).toEqual([]);
  });

  it('fetches nothing of a protected remote while signed out, nor without its permission', async () => {
    const mf = host([{ name: 'wishlist', entry: wishlist.entry, type: 'module' }]);
    state = states.anonymous;
    expect(await code(mf.loadRemote('wishlist/remote'))).toBe('GH_FED_FORBIDDEN');
    state = { status: 'loading', identity: states.anonymous.identity } as AuthState;
    expect(await code(mf.loadRemote('wishlist/remote'))).toBe('GH_FED_FORBIDDEN');
    const { identity } = states.alice as Extract<AuthState, { status: 'authenticated' }>;
    state = {
      status: 'authenticated',
      identity: { ...identity, user: { ...identity.user, permissions: [] } },
    };
    expect(await code(mf.loadRemote('wishlist/remote'))).toBe('GH_FED_FORBIDDEN');
    expect(cdn.requests).toEqual([]);
  });

  it('refuses, before any request, a remote whose shared React range refuses the host’s React', async () => {
    state = states.alice;
    const mf = host([{ name: 'old', entry: oldReact.entry, type: 'module' }]);
    expect(await code(mf.loadRemote('old/remote'))).toBe('GH_FED_SHARED_CONFLICT');
    expect(cdn.requests).toEqual([]);
  });

  it('refuses a shared singleton resolved in a version the requester’s range refuses (MF only warns)', async () => {
    const shared = {
      react: {
        version: '18.3.1',
        lib: () => ({ version: '18.3.1' }),
        shareConfig: { singleton: true, requiredVersion: '^18.0.0' },
      },
    };
    const needs19 = { shareConfig: { singleton: true, requiredVersion: '^19.0.0' } };
    // Without the plugin MF hands over React 18 to a remote that needs 19, with a warning only.
    const plain = createInstance({ name: `plain${n++}`, remotes: [], shared });
    const factory = await plain.loadShare<{ version: string }>('react', { customShareInfo: needs19 });
    expect(factory ? factory()?.version : factory).toBe('18.3.1');
    const guarded = createInstance({ name: `guarded${n++}`, remotes: [], shared, plugins: [plugin] });
    expect(await code(guarded.loadShare('react', { customShareInfo: needs19 }))).toBe(
      'GH_FED_SHARED_CONFLICT',
    );
    // A range the version satisfies is fine.
    const ok = await guarded.loadShare<{ version: string }>('react', {
      customShareInfo: { shareConfig: { singleton: true, requiredVersion: '^18.2.0' } },
    });
    expect(ok ? ok()?.version : ok).toBe('18.3.1');
  });

  it('fetches an mf-manifest.json only when pinned, with its integrity checked', async () => {
    const url = `${cdn.origin}/wishlist/mf-manifest.json`;
    // Pinned as one of the remote's modules: fetched, and the bytes checked.
    const fetchHook = plugin.fetch!;
    const response = (await fetchHook(url, {}, undefined, undefined)) as Response;
    expect(await response.json()).toEqual({ id: 'wishlist', name: 'wishlist' });
    cdn.tampered.add('/wishlist/mf-manifest.json');
    await expect(
      Promise.resolve(fetchHook(url, {}, undefined, undefined)).then((r) => (r as Response).text()),
    ).rejects.toThrow();
    cdn.tampered.clear();
    const before = cdn.requests.length;
    expect(await code(Promise.resolve(fetchHook('https://evil.example/mf-manifest.json', {})))).toBe(
      'GH_FED_UNPINNED',
    );
    expect(cdn.requests.length).toBe(before);
  });
});
