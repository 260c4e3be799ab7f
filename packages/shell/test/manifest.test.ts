import { remoteManifestKeys } from '@gatehouse/policy';
import { describe, expect, it } from 'vitest';
import {
  createRouteTable,
  originOf,
  routesFromManifests,
  ShellError,
  validateManifest,
} from '../src/index.js';
import { CDN, SHA } from './fixtures.js';

const good = {
  name: 'orders',
  version: '1.4.0',
  entry: `${CDN}/orders/1.4.0/index.js`,
  integrity: SHA,
  modules: { [`${CDN}/orders/1.4.0/chunk-a1.js`]: SHA },
  routes: ['/orders', { path: '/orders/:id' }],
  auth: 'required',
  permissions: ['orders:view'],
  shared: { '@gatehouse/remote': '^0.1.0' },
};
const options = { allowedOrigins: [CDN] };

function refusal(value: unknown, opts = options): ShellError {
  try {
    validateManifest(value, opts);
  } catch (error) {
    if (error instanceof ShellError && error.code === 'GH_SHELL_BAD_MANIFEST') return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('validateManifest', () => {
  it('accepts a good manifest and returns a deep-frozen copy', () => {
    const manifest = validateManifest(good, options);
    expect(manifest).toEqual(good);
    expect(manifest).not.toBe(good);
    expect(Object.isFrozen(manifest.modules)).toBe(true);
  });

  it('accepts the dependency record the build signs (the contract lists the key once, for both ends)', () => {
    const dependencies = [{ name: 'react', version: '19.2.0', integrity: 'sha512-AAAA', range: '^19.0.0' }];
    expect(validateManifest({ ...good, dependencies }, options).dependencies).toEqual(dependencies);
    expect(remoteManifestKeys).toContain('dependencies');
  });

  it("refuses a module on another remote's origin, though that origin is allowed", () => {
    const other = 'https://cart.cdn.example';
    const moved = { ...good, modules: { [`${other}/orders/1.4.0/chunk-a1.js`]: SHA } };
    expect(refusal(moved, { allowedOrigins: [CDN, other] }).problems).toEqual([
      `${other}/orders/1.4.0/chunk-a1.js: not an absolute URL on an allowed origin`,
    ]);
  });

  it('refuses unknown keys', () => {
    expect(refusal({ ...good, bootstrap: 'x', scope: 1 }).problems).toEqual([
      'unknown key "bootstrap"',
      'unknown key "scope"',
    ]);
  });

  it.each([
    ['another origin', 'https://evil.example/orders.js'],
    ['a look-alike origin', 'https://cdn.example.evil.example/orders.js'],
    ['another port', 'https://cdn.example:8443/orders.js'],
    ['http instead of https', 'http://cdn.example/orders.js'],
    ['credentials', 'https://user:pw@cdn.example/orders.js'],
    ['a fragment', `${CDN}/orders.js#x`],
    ['a relative URL', '/orders.js'],
    ['a non-canonical URL', 'HTTPS://CDN.EXAMPLE/orders.js'],
    ['a data: URL', 'data:text/javascript,export{}'],
    ['javascript:', 'javascript:alert(1)'],
  ])('refuses an entry with %s', (_what, entry) => {
    expect(refusal({ ...good, entry }).problems.join()).toMatch(/not an absolute URL on an allowed origin/);
  });

  it('refuses a module (chunk) on another origin too', () => {
    expect(refusal({ ...good, modules: { 'https://evil.example/chunk.js': SHA } }).problems).toHaveLength(1);
  });

  it.each([
    ['missing', undefined],
    ['sha256', `sha256-${'a'.repeat(43)}=`],
    ['sha512', `sha512-${'a'.repeat(86)}==`],
    ['unknown algorithm (SRI would skip it: unchecked)', `sha999-${'a'.repeat(64)}`],
    ['two hashes', `${SHA} ${SHA}`],
    ['a short hash', 'sha384-abc'],
    ['options', `${SHA}?ct=application/javascript`],
  ])('refuses integrity that is %s', (_what, integrity) => {
    expect(refusal({ ...good, integrity }).problems.join()).toMatch(/integrity must be one sha384/);
  });

  it('refuses malformed names, versions, routes, auth, roles, permissions and shared, listing all', () => {
    const error = refusal({
      ...good,
      name: 'Orders App',
      version: '',
      auth: 'sometimes',
      roles: [1],
      permissions: ['orders'],
      routes: [{ path: '/x', component: 'y' }],
      shared: { react: 19 },
    });
    expect(error.message).toMatch(/^remote "Orders App" refused: /);
    expect(error.problems.join('\n')).toMatch(
      /name must match[\s\S]*version[\s\S]*shared[\s\S]*auth must be[\s\S]*roles must be[\s\S]*permissions must be[\s\S]*unknown key "component"/,
    );
  });

  it('refuses what is not an object at all', () => {
    for (const value of [null, 'orders', 42, [good]]) expect(refusal(value)).toBeInstanceOf(ShellError);
  });
});

describe('routesFromManifests', () => {
  it('puts every route of a remote under its manifest-level rules', () => {
    const table = createRouteTable(routesFromManifests([validateManifest(good, options)]));
    expect(table.routes).toEqual([
      { pattern: '/orders', remote: 'orders', auth: 'required', roles: [], permissions: ['orders:view'] },
      { pattern: '/orders/:id', remote: 'orders', auth: 'required', roles: [], permissions: ['orders:view'] },
    ]);
  });
});

describe('originOf', () => {
  it('gives the origin of canonical http(s) URLs only', () => {
    expect(originOf(`${CDN}/a/b.js?v=1`)).toBe(CDN);
    expect(originOf(`${CDN}/`)).toBe(CDN);
    expect(originOf(CDN)).toBeUndefined(); // not canonical: no path
    expect(originOf('ftp://cdn.example/x')).toBeUndefined();
    expect(originOf(42)).toBeUndefined();
  });
});
