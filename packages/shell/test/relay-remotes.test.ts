import { describe, expect, it } from 'vitest';
import { validateManifest } from '../src/index.js';
import { relayRemotes } from '../src/native.js';
import { CDN, SHA } from './fixtures.js';

const BFF = 'https://shop.example';
const APP = 'http://127.0.0.1:45000';

/** A remote the BFF serves behind the session, with one chunk, and a public one on the CDN. */
const admin = {
  name: 'admin',
  version: '1.0.0',
  entry: `${BFF}/remotes/admin/admin-1.js`,
  integrity: SHA,
  modules: { [`${BFF}/remotes/admin/chunk-2.js`]: SHA },
  routes: ['/admin'],
  auth: 'required',
  roles: ['admin'],
};
const catalog = {
  name: 'catalog',
  version: '1.0.0',
  entry: `${CDN}/catalog/index.js`,
  integrity: SHA,
  routes: ['/'],
  auth: 'public',
};

describe('relayRemotes', () => {
  it('names the code on the BFF’s origin on the app’s origin, hashes untouched; other origins stay', () => {
    const relayed = relayRemotes([admin, catalog], [BFF, CDN], BFF, APP);
    expect(relayed.manifests).toEqual([
      {
        ...admin,
        entry: `${APP}/remotes/admin/admin-1.js`,
        modules: { [`${APP}/remotes/admin/chunk-2.js`]: SHA },
      },
      catalog,
    ]);
    expect(relayed.allowedOrigins).toEqual([APP, CDN]);
    // The shell takes the relayed manifest as any other: on an allowed origin, every module pinned.
    expect(validateManifest(relayed.manifests[0], { allowedOrigins: relayed.allowedOrigins }).entry).toBe(
      `${APP}/remotes/admin/admin-1.js`,
    );
    // The caller's objects are not changed.
    expect(admin.entry).toBe(`${BFF}/remotes/admin/admin-1.js`);
  });

  it('moves only URLs on the origin itself, not on one that merely starts like it', () => {
    const lookalike = { ...admin, entry: `${BFF}.evil.example/remotes/admin/admin-1.js`, modules: {} };
    const relayed = relayRemotes([lookalike], [BFF], BFF, APP);
    expect((relayed.manifests[0] as typeof admin).entry).toBe(lookalike.entry);
  });

  it('changes nothing in a browser, where the page is on the BFF’s origin', () => {
    expect(relayRemotes([admin, catalog], [BFF, CDN], BFF, BFF)).toEqual({
      manifests: [admin, catalog],
      allowedOrigins: [BFF, CDN],
    });
  });

  it('leaves what is not a manifest for the shell to refuse', () => {
    expect(relayRemotes([null, 'x', { name: 'y' }], [], BFF, APP).manifests).toEqual([
      null,
      'x',
      { name: 'y' },
    ]);
  });
});
