import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { doctor, main } from '../src/index.js';

const sri = (text: string) => `sha384-${createHash('sha384').update(text).digest('base64')}`;
const ORIGIN = 'https://cdn.example';

/** A built remote on disk and its manifest entry; `change` lets a test break one thing. */
function fixture(change: (remotes: Record<string, unknown>[], dir: string) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-doctor-'));
  mkdirSync(join(dir, 'orders'));
  mkdirSync(join(dir, 'cart'));
  const chunk = 'export const format = (n) => n.toFixed(2);\n';
  const entry =
    "import { format } from './chunk-a1.js';\nexport const remote = { mount() { return import('./lazy-b2.js').then(() => format(1)); } };\n";
  const lazy = 'export const lazy = 1;\n';
  writeFileSync(join(dir, 'orders', 'chunk-a1.js'), chunk);
  writeFileSync(join(dir, 'orders', 'entry.js'), entry);
  writeFileSync(join(dir, 'orders', 'lazy-b2.js'), lazy);
  writeFileSync(join(dir, 'cart', 'entry.js'), "import React from 'react';\nexport const remote = {};\n");
  const shared = { react: '^19.1.0', '@gatehouse/remote': '0.1.0' };
  const remotes: Record<string, unknown>[] = [
    {
      name: 'orders',
      version: '1.0.0',
      entry: `${ORIGIN}/orders/entry.js`,
      integrity: sri(entry),
      modules: { [`${ORIGIN}/orders/chunk-a1.js`]: sri(chunk), [`${ORIGIN}/orders/lazy-b2.js`]: sri(lazy) },
      routes: ['/orders'],
      auth: 'required',
      permissions: ['orders:view'],
      shared,
    },
    {
      name: 'cart',
      version: '1.0.0',
      entry: `${ORIGIN}/cart/entry.js`,
      integrity: sri("import React from 'react';\nexport const remote = {};\n"),
      routes: ['/cart'],
      auth: 'optional',
      shared: { react: '^19.2.0', '@gatehouse/remote': '0.1.0' },
    },
  ];
  change(remotes, dir);
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({ remotes }));
  return { manifest, roots: { [`${ORIGIN}/`]: dir } };
}

const run = async (change?: Parameters<typeof fixture>[0], extra: { production?: boolean } = {}) => {
  const { manifest, roots } = fixture(change);
  return doctor({ manifest, roots, allowedOrigins: [ORIGIN], ...extra });
};

describe('gatehouse doctor', () => {
  it('passes a consistent manifest: every hash recomputed, every imported module listed', async () => {
    const report = await run();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.remotes).toEqual([
      { name: 'orders', version: '1.0.0', modules: 3 },
      { name: 'cart', version: '1.0.0', modules: 1 },
    ]);
  });

  it.each([
    [
      'one byte changed in a chunk',
      (_r: Record<string, unknown>[], dir: string) =>
        writeFileSync(join(dir, 'orders', 'chunk-a1.js'), 'export const format = (n) => n.toFixed(3);\n'),
      'integrity',
    ],
    [
      'a chunk missing from the modules map',
      (r: Record<string, unknown>[]) => {
        r[0] = {
          ...r[0],
          modules: {
            [`${ORIGIN}/orders/chunk-a1.js`]: (r[0]?.modules as Record<string, string> | undefined)?.[
              `${ORIGIN}/orders/chunk-a1.js`
            ],
          },
        };
      },
      'unlisted-module',
    ],
    [
      'an entry on another origin',
      (r: Record<string, unknown>[]) => {
        r[1] = { ...r[1], entry: 'https://evil.example/cart/entry.js' };
      },
      'origin',
    ],
    [
      'no auth rule',
      (r: Record<string, unknown>[]) => {
        delete r[1]?.auth;
      },
      'auth',
    ],
    [
      'permissions on a public remote',
      (r: Record<string, unknown>[]) => {
        r[0] = { ...r[0], auth: 'public' };
      },
      'auth',
    ],
    [
      'two Reacts that cannot be one',
      (r: Record<string, unknown>[]) => {
        r[1] = { ...r[1], shared: { react: '^18.3.0', '@gatehouse/remote': '0.1.0' } };
      },
      'shared',
    ],
    [
      'a malformed hash',
      (r: Record<string, unknown>[]) => {
        r[1] = { ...r[1], integrity: 'sha256-abc' };
      },
      'shape',
    ],
  ])('finds %s', async (_label, change, check) => {
    const report = await run(change);
    expect(report.ok).toBe(false);
    expect(report.problems.map((problem) => problem.check)).toContain(check);
  });

  it('resolves relative URLs (a shell on the page’s own origin) against --base', async () => {
    const { manifest, roots } = fixture((r) => {
      r[1] = { ...r[1], entry: '/cart/entry.js' };
    });
    expect((await doctor({ manifest, roots, allowedOrigins: [ORIGIN] })).ok).toBe(false);
    expect((await doctor({ manifest, roots, allowedOrigins: [ORIGIN], base: ORIGIN })).problems).toEqual([]);
  });

  it('requires https in production', async () => {
    const report = await run(undefined, { production: true });
    expect(report.ok).toBe(true);
    const { manifest } = fixture((r) => {
      r[1] = { ...r[1], entry: 'http://cdn.example/cart/entry.js' };
    });
    const http = await doctor({
      manifest,
      allowedOrigins: ['http://cdn.example', ORIGIN],
      roots: { 'http://cdn.example/': join(manifest, '..') },
      production: true,
    });
    expect(http.problems.map((problem) => problem.check)).toContain('https');
  });

  it('runs from the command line: readable or JSON report, exit code 1 on problems; signs and verifies manifests', async () => {
    const out = new (class extends Writable {
      text = '';
      override _write(chunk: Buffer, _e: string, done: () => void) {
        this.text += chunk.toString();
        done();
      }
    })();
    const io = { out, err: out };
    const { manifest, roots } = fixture();
    const root = Object.entries(roots).map(([url, dir]) => `${url}=${dir}`)[0] as string;
    expect(
      await main(['doctor', '--manifest', manifest, '--allowed-origin', ORIGIN, '--root', root], io),
    ).toBe(0);
    expect(out.text).toMatch(/✔ orders 1\.0\.0/);
    expect(
      await main(
        [
          'doctor',
          '--manifest',
          manifest,
          '--allowed-origin',
          'https://other.example',
          '--root',
          root,
          '--json',
        ],
        io,
      ),
    ).toBe(1);
    expect(out.text).toMatch(/"check": "origin"/);

    const keys = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
    expect(await main(['manifest', 'keygen', '--out', keys], io)).toBe(0);
    expect(await main(['manifest', 'keygen', '--out', keys], io)).toBe(2);
    expect(await main(['manifest', 'sign', '--key', join(keys, 'manifest.key.pem'), manifest], io)).toBe(0);
    expect(readFileSync(`${manifest}.sig`, 'utf8').trim()).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(
      await main(['manifest', 'verify', '--public-key', join(keys, 'manifest.pub.pem'), manifest], io),
    ).toBe(0);
    expect(
      await main(
        [
          'doctor',
          '--manifest',
          manifest,
          '--allowed-origin',
          ORIGIN,
          '--root',
          root,
          '--public-key',
          join(keys, 'manifest.pub.pem'),
        ],
        io,
      ),
    ).toBe(0);
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"1.0.0"', '"1.0.1"'));
    expect(
      await main(['manifest', 'verify', '--public-key', join(keys, 'manifest.pub.pem'), manifest], io),
    ).toBe(2);
    expect(
      await main(
        [
          'doctor',
          '--manifest',
          manifest,
          '--allowed-origin',
          ORIGIN,
          '--root',
          root,
          '--public-key',
          join(keys, 'manifest.pub.pem'),
        ],
        io,
      ),
    ).toBe(1);
    expect(out.text).toMatch(/signature does not match/);
  });
});

describe('gatehouse doctor: Module Federation manifests', () => {
  /** The fixture's shop plus a container `wishlist` with its mf-manifest.json; `mf` changes that file. */
  type Mf = {
    metaData: { publicPath: string };
    shared: { requiredVersion: string }[];
    remotes: { federationContainerName: string; entry: string }[];
  };
  const federated = (mf: (manifest: Mf) => void = () => {}, pinChunk = true) =>
    run((remotes, dir) => {
      mkdirSync(join(dir, 'wishlist', 'assets'), { recursive: true });
      const entry =
        "export async function get() { return import('./assets/src-1.js'); }\nexport function init() {}\n";
      const chunk = 'export const remote = {};\n';
      const lazy = 'export const lazy = 2;\n';
      writeFileSync(join(dir, 'wishlist', 'remoteEntry.js'), entry);
      writeFileSync(join(dir, 'wishlist', 'assets', 'src-1.js'), chunk);
      writeFileSync(join(dir, 'wishlist', 'assets', 'lazy-2.js'), lazy);
      const manifest = {
        id: 'wishlist',
        name: 'wishlist',
        metaData: { publicPath: 'auto', remoteEntry: { name: 'remoteEntry.js', path: '', type: 'module' } },
        shared: [
          { name: 'react', version: '19.2.0', requiredVersion: '^19.2.0', singleton: true, assets: {} },
        ],
        exposes: [
          { name: 'remote', assets: { js: { sync: ['assets/src-1.js'], async: ['assets/lazy-2.js'] } } },
        ],
        remotes: [] as Mf['remotes'],
      };
      mf(manifest);
      writeFileSync(join(dir, 'wishlist', 'mf-manifest.json'), JSON.stringify(manifest));
      remotes.push({
        name: 'wishlist',
        version: '1.0.0',
        entry: `${ORIGIN}/wishlist/remoteEntry.js`,
        integrity: sri(entry),
        modules: {
          [`${ORIGIN}/wishlist/assets/src-1.js`]: sri(chunk),
          ...(pinChunk ? { [`${ORIGIN}/wishlist/assets/lazy-2.js`]: sri(lazy) } : {}),
        },
        routes: ['/wishlist'],
        auth: 'required',
        shared: { react: '^19.2.0' },
      });
    });

  it('passes a container whose mf-manifest.json chunks are all pinned and whose singletons agree', async () => {
    expect((await federated()).problems).toEqual([]);
  });

  it('finds a chunk the mf-manifest.json lists that the signed manifest does not pin', async () => {
    expect((await federated(() => {}, false)).problems).toEqual([
      expect.objectContaining({
        remote: 'wishlist',
        check: 'unlisted-module',
        message: expect.stringMatching(/lazy-2\.js/),
      }),
    ]);
  });

  it('finds a shared singleton whose required version conflicts with the others', async () => {
    const report = await federated((m) => {
      m.shared[0]!.requiredVersion = '^18.2.0';
    });
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        remote: 'wishlist',
        check: 'shared',
        message: expect.stringMatching(/react \^18\.2\.0/),
      }),
    );
  });

  it('finds a nested remote or a publicPath on an origin that is not allow-listed', async () => {
    const report = await federated((m) => {
      m.remotes = [{ federationContainerName: 'evil', entry: 'https://evil.example/remoteEntry.js' }];
    });
    expect(report.problems).toEqual([
      expect.objectContaining({
        remote: 'wishlist',
        check: 'origin',
        message: expect.stringMatching(/evil\.example/),
      }),
    ]);
    const moved = await federated((m) => {
      m.metaData.publicPath = 'https://other.example/wishlist/';
    });
    expect(moved.problems.map((p) => p.check)).toContain('origin');
  });
});
