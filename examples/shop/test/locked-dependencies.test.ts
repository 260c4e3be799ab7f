import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lockedDependencies } from '../src/web/build/locked-dependencies.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A package-lock.json (v3) written for the test: two remotes that resolve `lodash` differently. */
function lockFile(): string {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'team', workspaces: ['remotes/*', 'lib'] },
      'remotes/orders': {
        name: 'orders',
        dependencies: { lodash: '^4.17.0', lib: '1.0.0' },
        peerDependencies: { react: '^19.0.0', 'react-native': '*' },
        peerDependenciesMeta: { 'react-native': { optional: true } },
        devDependencies: { vite: '^8.0.0' },
      },
      'remotes/orders/node_modules/lodash': { version: '4.17.20', integrity: 'sha512-old' },
      'node_modules/lodash': { version: '4.17.21', integrity: 'sha512-new' },
      'node_modules/react': { version: '19.2.0', integrity: 'sha512-react' },
      'node_modules/vite': { version: '8.3.8', integrity: 'sha512-vite', dev: true },
      'node_modules/lib': { link: true, resolved: 'lib' },
      lib: { name: 'lib', version: '1.0.0', dependencies: { 'tiny-invariant': '^1.3.0' } },
      'node_modules/tiny-invariant': { version: '1.3.3', integrity: 'sha512-ti' },
    },
  };
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-lock-')), 'package-lock.json');
  writeFileSync(file, JSON.stringify(lock));
  return file;
}

describe('lockedDependencies (what a remote build records in its signed manifest)', () => {
  it('lists the runtime dependencies as Node resolves them, through workspace links, without build tools', () => {
    expect(lockedDependencies(lockFile(), 'remotes/orders')).toEqual([
      { name: 'lodash', version: '4.17.20', integrity: 'sha512-old', range: '^4.17.0' },
      { name: 'react', version: '19.2.0', integrity: 'sha512-react', range: '^19.0.0' },
      { name: 'tiny-invariant', version: '1.3.3', integrity: 'sha512-ti' },
    ]);
  });

  it('refuses a workspace or a dependency the lock does not know (an out-of-date lock)', () => {
    expect(() => lockedDependencies(lockFile(), 'remotes/cart')).toThrow(/remotes\/cart is not in/);
    const file = lockFile();
    const lock = JSON.parse(readFileSync(file, 'utf8'));
    delete lock.packages['node_modules/react'];
    writeFileSync(file, JSON.stringify(lock));
    expect(() => lockedDependencies(file, 'remotes/orders')).toThrow(/react is not in/);
  });

  it("records the shop's React exactly as the repository's lock pins it", () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
    const react = lock.packages['node_modules/react'];
    const recorded = lockedDependencies(
      join(repoRoot, 'package-lock.json'),
      'examples/shop/web/remotes/cart',
    );
    expect(recorded).toContainEqual(
      expect.objectContaining({ name: 'react', version: react.version, integrity: react.integrity }),
    );
    expect(recorded.map((dependency) => dependency.name)).not.toContain('vite');
  });
});
