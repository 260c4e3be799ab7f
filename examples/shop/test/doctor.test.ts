import { createPublicKey, verify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { doctor, formatReport } from '@gatehouse/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb, type ShopManifest, shopManifestPath, shopSigningKey } from '../src/web/build/index.js';
import { copyWeb, shopDoctorOptions, type WebCopy } from './support/web-copy.js';

/**
 * `gatehouse doctor` over the shop's real build, as CI runs it (issue 6 item 4): the signed manifest, every
 * hash recomputed from the files, origins, auth rules, React and the Gatehouse runtime at one version.
 */
describe('gatehouse doctor on the built shop', () => {
  let manifest: ShopManifest;
  let copy: WebCopy;
  beforeAll(async () => {
    manifest = await buildWeb();
    copy = copyWeb();
  }, 120_000);
  afterAll(() => copy?.remove());

  it('finds no problem: the manifest is signed by the build’s key and pins every file of the shell and of every remote', async () => {
    const key = createPublicKey(readFileSync(shopSigningKey().publicKey, 'utf8'));
    const signature = Buffer.from(readFileSync(`${shopManifestPath}.sig`, 'utf8').trim(), 'base64');
    expect(verify(null, readFileSync(shopManifestPath), key, signature)).toBe(true);

    const report = await doctor(shopDoctorOptions());
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.remotes.map((remote) => remote.name).sort()).toEqual(
      [...manifest.remotes.map((remote) => remote.name), 'shell'].sort(),
    );
    // Every module of the shell (React, the runtime…) is checked, not only its entry.
    expect(report.remotes.find((remote) => remote.name === 'shell')!.modules).toBe(
      Object.keys(manifest.shell.modules).length,
    );
    expect(formatReport(report)).toContain('No problems found.');
  });

  it('finds a remote tampered on disk, a manifest changed after signing, a singleton at two versions, and http in production', async () => {
    const tampered = copy.tamper('product');
    try {
      const report = await doctor(shopDoctorOptions(copy.root));
      expect(report.problems).toEqual([
        {
          remote: 'product',
          check: 'integrity',
          message: expect.stringMatching(/\/product\/product-[\w-]+\.js does not match its hash/),
        },
      ]);
    } finally {
      tampered.restore();
    }

    const original = readFileSync(copy.manifest);
    try {
      const changed = JSON.parse(original.toString('utf8')) as ShopManifest;
      const home = changed.remotes.find((remote) => remote.name === 'home')!;
      (home as { shared: Record<string, string> }).shared = { ...home.shared, react: '^18.2.0' };
      writeFileSync(copy.manifest, JSON.stringify(changed, null, 2));
      const signed = await doctor(shopDoctorOptions(copy.root));
      expect(signed.problems).toEqual([
        { remote: 'manifest', check: 'signature', message: expect.stringMatching(/signature/) },
      ]);
      const { publicKey: _unsigned, ...options } = shopDoctorOptions(copy.root);
      const unsigned = await doctor(options);
      expect(unsigned.problems).toContainEqual({
        remote: expect.any(String),
        check: 'shared',
        message: expect.stringMatching(/react \S+ conflicts with .*: a singleton needs one version/),
      });
    } finally {
      writeFileSync(copy.manifest, original);
    }

    const production = await doctor({ ...shopDoctorOptions(copy.root), production: true });
    expect(production.ok).toBe(false);
    expect(new Set(production.problems.map((problem) => problem.check))).toEqual(new Set(['https']));
  });
});
