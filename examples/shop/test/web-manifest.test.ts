import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWeb,
  listModules,
  readRemotePackage,
  relativeImports,
  remoteInputs,
  remoteManifest,
  remoteNames,
  type ShopManifest,
  satisfies,
  sri,
  verifyManifest,
  webRoot,
} from '../src/web/build/index.js';

describe('remoteInputs', () => {
  it('makes a remote stale when a @gatehouse package it bundles changes, not only its own folder', () => {
    // The org remote bundles @gatehouse/remote (switchTenant), react and policy, from their TypeScript sources.
    const inputs = remoteInputs('org');
    const packages = join(webRoot, '../../../packages');
    for (const name of ['remote', 'react', 'policy'])
      expect(inputs, name).toContain(join(packages, name, 'src'));
    expect(inputs).toContain(join(webRoot, 'remotes/org'));
    expect(inputs).toContain(join(webRoot, 'ui/src'));
    // Only the packages it depends on: the BFF's sources do not touch a browser bundle.
    expect(inputs).not.toContain(join(packages, 'bff', 'src'));
  });
});

const description = {
  name: 'orders',
  version: '1.4.0',
  routes: ['/orders', '/orders/:id'],
  auth: 'required' as const,
  shared: { react: '^19.3.1' },
};
const BASE = 'http://localhost:4002/orders/';

describe('remoteManifest', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gh-manifest-'));
    mkdirSync(join(dir, 'chunks'));
    mkdirSync(join(dir, '.vite'));
    writeFileSync(
      join(dir, 'orders-abc12345.js'),
      `import{a}from"./chunks/list-11111111.js";export const remote={mount(){return import("./chunks/detail-22222222.js")},unmount(){}};`,
    );
    writeFileSync(join(dir, 'chunks/list-11111111.js'), 'export const a=1;');
    writeFileSync(join(dir, 'chunks/detail-22222222.js'), `export*from"../chunks/list-11111111.js";`);
    writeFileSync(join(dir, '.vite/manifest.json'), '{}');
    writeFileSync(join(dir, 'manifest.json'), '{}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every module (entry and chunks, dot-folders skipped) with a sha384 recomputed from its bytes', () => {
    const manifest = remoteManifest(description, { dir, entry: 'orders-abc12345.js', baseUrl: BASE });
    expect(manifest.entry).toBe(`${BASE}orders-abc12345.js`);
    expect(manifest.integrity).toBe(sri(readFileSync(join(dir, 'orders-abc12345.js'))));
    expect(Object.keys(manifest.modules).sort()).toEqual([
      `${BASE}chunks/detail-22222222.js`,
      `${BASE}chunks/list-11111111.js`,
    ]);
    for (const [url, hash] of Object.entries(manifest.modules)) {
      expect(hash).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
      expect(hash).toBe(sri(readFileSync(join(dir, url.slice(BASE.length)))));
    }
    expect(manifest).toMatchObject({
      name: 'orders',
      version: '1.4.0',
      auth: 'required',
      routes: description.routes,
    });
    expect(verifyManifest(manifest, dir, BASE)).toEqual([]);
  });

  it('refuses a build whose module imports a chunk that is not there, and a missing entry', () => {
    const broken = mkdtempSync(join(tmpdir(), 'gh-manifest-'));
    try {
      writeFileSync(join(broken, 'x-abcdefgh.js'), 'import"./gone-12345678.js";');
      expect(() =>
        remoteManifest(description, { dir: broken, entry: 'x-abcdefgh.js', baseUrl: BASE }),
      ).toThrow(/imports \.\/gone-12345678\.js/);
      expect(() => remoteManifest(description, { dir: broken, entry: 'nope.js', baseUrl: BASE })).toThrow(
        /not built/,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('finds what no longer matches: one changed byte, a module it lacks, a module that is gone', () => {
    const manifest = remoteManifest(description, { dir, entry: 'orders-abc12345.js', baseUrl: BASE });
    const file = join(dir, 'chunks/list-11111111.js');
    const original = readFileSync(file);
    try {
      writeFileSync(file, 'export const a=2;');
      writeFileSync(join(dir, 'chunks/extra-33333333.js'), '');
      expect(verifyManifest(manifest, dir, BASE)).toEqual([
        'chunks/extra-33333333.js: not in the manifest',
        'chunks/list-11111111.js: hash differs',
      ]);
      rmSync(join(dir, 'chunks/extra-33333333.js'));
      rmSync(file);
      expect(verifyManifest(manifest, dir, BASE)).toEqual([
        `${BASE}chunks/list-11111111.js: listed but not built`,
      ]);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('reads static, dynamic and re-exporting imports', () => {
    expect(
      relativeImports(
        `import a from"./a.js";import{b}from'../b.js';export*from"./c.js";import("./d.js");import"./e.js";import x from"react";`,
      ).sort(),
    ).toEqual(['../b.js', './a.js', './c.js', './d.js', './e.js']);
  });

  it('checks shared versions against ranges', () => {
    expect(satisfies('19.3.1', '^19.3.1')).toBe(true);
    expect(satisfies('19.4.0', '^19.3.1')).toBe(true);
    expect(satisfies('20.0.0', '^19.3.1')).toBe(false);
    expect(satisfies('19.3.0', '^19.3.1')).toBe(false);
    expect(satisfies('0.1.0', '0.1.0')).toBe(true);
    expect(satisfies('0.1.1', '^0.1.0')).toBe(true);
    expect(satisfies('0.2.0', '^0.1.0')).toBe(false);
    expect(satisfies('1.2.9', '~1.2.3')).toBe(true);
    expect(satisfies('1.3.0', '~1.2.3')).toBe(false);
    expect(satisfies('1.0.0', '*')).toBe(false);
  });
});

describe('the shop’s web build', () => {
  let manifest: ShopManifest;
  beforeAll(async () => {
    manifest = await buildWeb();
  }, 120_000);

  // The remotes are whatever folders `web/remotes/` holds (eleven in the shop as shipped): a team that adds a
  // remote breaks none of these tests.
  it('builds every remote of web/remotes, each manifest pinning every module it wrote', () => {
    expect(manifest.remotes.map((remote) => remote.name).sort()).toEqual(remoteNames());
    expect(remoteNames()).toEqual(expect.arrayContaining(['admin', 'home', 'org', 'orders']));
    for (const remote of manifest.remotes) {
      const dist = join(webRoot, 'remotes', remote.name, 'dist');
      const base = new URL('./', remote.entry).href;
      expect(verifyManifest(remote, dist, base), remote.name).toEqual([]);
      expect(listModules(dist).length).toBe(1 + Object.keys(remote.modules).length);
      expect(remote.integrity).toMatch(/^sha384-/);
    }
  });

  it('serves admin and org only through the BFF; the rest from the remotes origin', () => {
    expect(manifest.remotes.length).toBeGreaterThan(0);
    for (const remote of manifest.remotes) {
      // Each remote's package.json says where it is served (`"serve": "bff"`: admin and org).
      const { serve } = readRemotePackage(join(webRoot, 'remotes', remote.name));
      expect(remote.serve, remote.name).toBe(serve);
      expect(
        remote.entry.startsWith(
          serve === 'bff' ? 'http://localhost:4000/remotes/' : 'http://localhost:4002/',
        ),
      ).toBe(true);
    }
    const byBff = manifest.remotes.filter((remote) => remote.serve === 'bff').map((remote) => remote.name);
    expect(byBff).toEqual(expect.arrayContaining(['admin', 'org']));
    expect(manifest.remotes.find((r) => r.name === 'admin')).toMatchObject({
      auth: 'required',
      roles: ['admin'],
    });
  });

  it('pins every module of the shell, and maps each shared module once', () => {
    const dist = join(webRoot, 'shell/dist');
    const { shell } = manifest;
    expect(Object.keys(shell.modules).length).toBe(listModules(dist).length);
    expect(shell.modules[shell.entry]).toBe(shell.integrity);
    for (const file of listModules(dist))
      expect(shell.modules[`http://localhost:4000/shell/${file}`], file).toBe(
        sri(readFileSync(join(dist, file))),
      );
    expect(Object.keys(shell.imports).sort()).toEqual(
      [
        '@gatehouse/policy',
        '@gatehouse/react',
        '@gatehouse/remote',
        '@gatehouse/shell',
        'react',
        'react-dom',
        'react-dom/client',
        'react/jsx-runtime',
      ].sort(),
    );
    for (const path of Object.values(shell.imports)) expect(shell.modules[path]).toMatch(/^sha384-/);
    const css = shell.css.href.slice('http://localhost:4000/shell/'.length);
    expect(shell.css.integrity).toBe(sri(readFileSync(join(dist, css))));
  });

  it('agrees on shared versions: every remote’s range admits the one copy the shell provides', () => {
    expect(manifest.remotes).toHaveLength(remoteNames().length);
    for (const remote of manifest.remotes) {
      // Every remote shares the Gatehouse runtime; all but the web component (help) share React too.
      expect(Object.keys(remote.shared), remote.name).toContain('@gatehouse/remote');
      if (remote.name !== 'help') expect(Object.keys(remote.shared), remote.name).toContain('react');
      for (const [pkg, range] of Object.entries(remote.shared))
        expect(satisfies(manifest.shell.shared[pkg]!, range), `${remote.name}: ${pkg}@${range}`).toBe(true);
    }
    expect(manifest.shell.shared.react).toBe(manifest.shell.shared['react-dom']);
  });

  it('leaves React and the Gatehouse runtime out of every remote (bare imports the import map resolves)', () => {
    expect(manifest.remotes).toHaveLength(remoteNames().length);
    for (const remote of manifest.remotes) {
      const dist = join(webRoot, 'remotes', remote.name, 'dist');
      const code = listModules(dist)
        .map((file) => readFileSync(join(dist, file), 'utf8'))
        .join('\n');
      if (remote.federation) {
        // A Module Federation container gets the shell's React through MF's share scope (no fallback copy).
        const mf = JSON.parse(readFileSync(join(dist, 'mf-manifest.json'), 'utf8')) as {
          shared: { name: string; singleton: boolean }[];
        };
        for (const name of ['react', 'react-dom', 'react/jsx-runtime', 'react-dom/client'])
          expect(mf.shared, remote.name).toContainEqual(expect.objectContaining({ name, singleton: true }));
        continue;
      }
      // A remote without React (the help web component) imports the Gatehouse runtime alone.
      if (remote.shared.react) expect(code, remote.name).toMatch(/from"react"|from"react\/jsx-runtime"/);
      else expect(code, remote.name).toMatch(/from"@gatehouse\/remote"/);
      expect(code, remote.name).not.toContain('__CLIENT_INTERNALS_DO_NOT_USE');
      expect(code, remote.name).not.toContain('react.production');
    }
  });
});
