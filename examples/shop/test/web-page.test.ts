import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anonymousIdentity, type IdentityContext } from '@gatehouse/policy';
import { TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltShop, loadShopWeb, type ShopWeb, shopWebRoot, startRemotesOrigin } from '../src/index.js';
import { buildWeb } from '../src/web/build/index.js';

const user = (
  id: string,
  roles: string[],
  tenants: { id: string; roles: string[]; permissions: string[] }[] = [],
) =>
  ({
    isAuthenticated: true,
    user: { id, displayName: id, roles, permissions: [], tenants, locale: 'en-IN', currency: 'INR' },
    session: { expiresAt: '2030-01-01T00:00:00Z' },
  }) as unknown as IdentityContext;
const alice = user('user_alice', ['customer']);
const erin = user(
  'user_erin',
  ['admin'],
  [{ id: 'acme', roles: ['org_admin'], permissions: ['users:view'] }],
);
const frank = user(
  'user_frank',
  ['customer'],
  [{ id: 'globex', roles: ['member'], permissions: ['users:view'] }],
);

const configOf = (html: string) =>
  JSON.parse(/<script type="application\/json" id="shop-config">(.*?)<\/script>/s.exec(html)![1]!) as {
    remotes: { name: string; entry: string }[];
    routes: unknown[];
    allowedOrigins: string[];
    unavailable?: boolean;
  };

describe('the shop page', () => {
  let web: ShopWeb;
  beforeAll(async () => {
    await buildWeb();
    web = loadShopWeb({ bffUrl: 'http://localhost:5100', remotesUrl: 'http://localhost:5102' });
  }, 120_000);

  it('inlines only the manifests the user may load: admin for admins, org for tenant members', () => {
    const names = (identity: IdentityContext) =>
      configOf(web.page({ path: '/', identity, nonce: 'n' })).remotes.map((r) => r.name);
    // The remotes are the build's (the shop's eleven and any a team adds); each is inlined as its rule says.
    const { remotes } = web.built;
    const expected = (identity: IdentityContext) =>
      remotes
        .filter((remote) => {
          const tenant = JSON.stringify(remote.routes).includes('"tenantParam"');
          if (remote.auth !== 'required' && !remote.roles && !remote.permissions && !tenant) return true;
          if (!identity.isAuthenticated) return false;
          const { user } = identity;
          return (
            (!remote.roles || remote.roles.some((role) => user.roles.includes(role))) &&
            (remote.permissions ?? []).every((p) => (user.permissions as string[]).includes(p)) &&
            (!tenant || user.tenants.length > 0)
          );
        })
        .map((remote) => remote.name)
        .sort();
    for (const identity of [anonymousIdentity, alice, erin, frank])
      expect(names(identity).sort()).toEqual(expected(identity));
    // The shop's own remotes, by name.
    const common = ['cart', 'catalog', 'checkout', 'home', 'orders', 'product', 'profile'];
    const shop = (list: string[]) => list.filter((name) => [...common, 'admin', 'org'].includes(name)).sort();
    expect(shop(names(anonymousIdentity))).toEqual(['cart', 'catalog', 'home', 'product']);
    expect(shop(names(alice))).toEqual(common);
    expect(shop(names(erin))).toEqual([...common, 'admin', 'org'].sort());
    expect(shop(names(frank))).toEqual([...common, 'org'].sort());
    for (const identity of [anonymousIdentity, alice, frank])
      expect(web.page({ path: '/admin', identity, nonce: 'n' })).not.toContain('/remotes/admin/');
    expect(web.page({ path: '/', identity: alice, nonce: 'n' })).not.toContain('/remotes/org/');
  });

  it('rebases the manifests to the origins in use and keeps the whole route table', () => {
    const config = configOf(web.page({ path: '/', identity: erin, nonce: 'n' }));
    expect(config.allowedOrigins).toEqual(['http://localhost:5100', 'http://localhost:5102']);
    expect(config.remotes.find((r) => r.name === 'admin')!.entry).toMatch(
      /^http:\/\/localhost:5100\/remotes\/admin\//,
    );
    expect(config.remotes.find((r) => r.name === 'home')!.entry).toMatch(/^http:\/\/localhost:5102\/home\//);
    // The whole route table, one entry per remote of the build, whoever asks.
    expect(configOf(web.page({ path: '/', identity: anonymousIdentity, nonce: 'n' })).routes).toHaveLength(
      web.built.remotes.length,
    );
    expect(web.built.remotes.length).toBeGreaterThanOrEqual(9);
  });

  it('nonces the import map and the shell module, pins the shell by integrity, escapes the inlined JSON', () => {
    const html = web.page({ path: '/', identity: user('<script>', ['customer']), nonce: 'abc' });
    expect(html).toMatch(
      /<script type="importmap" nonce="abc">\{"imports":\{"react":"\/shell\/vendor\/react-/,
    );
    expect(html).toMatch(
      /<script type="module" nonce="abc" src="\/shell\/main-[\w-]+\.js" integrity="sha384-/,
    );
    expect(html).toMatch(/<link rel="stylesheet" href="\/shell\/shop-[\w-]+\.css" integrity="sha384-/);
    expect(html).not.toContain('<script>"');
    expect(html.match(/<script/g)).toHaveLength(4);
  });

  it('with `verified`, builds each page from the manifest the BFF hands it, and names no remote without one', () => {
    const raw = JSON.parse(readFileSync(join(shopWebRoot, 'dist/shop-manifest.json'), 'utf8')) as BuiltShop;
    const verified = loadShopWeb({
      bffUrl: 'http://localhost:5100',
      remotesUrl: 'http://localhost:5102',
      manifest: raw,
      verified: true,
    });
    const names = (manifest: unknown) =>
      configOf(verified.page({ path: '/', identity: erin, nonce: 'n', manifest })).remotes.map((r) => r.name);
    expect(names(raw)).toEqual(web.remotesFor(erin).map((r) => r.name));
    expect(names(raw)).toEqual(expect.arrayContaining(['admin', 'home', 'org']));
    // A newer verified manifest (here without the cart) is what the next page gets.
    expect(names({ ...raw, remotes: raw.remotes.filter((r) => r.name !== 'cart') })).not.toContain('cart');
    for (const manifest of [undefined, null, { remotes: 'nope' }]) {
      const html = verified.page({ path: '/', identity: erin, nonce: 'n', manifest });
      expect(configOf(html)).toMatchObject({
        remotes: [],
        routes: [],
        allowedOrigins: [],
        unavailable: true,
      });
      expect(html).not.toContain('/remotes/');
      expect(html).not.toContain('localhost:5102');
      // The shell still loads, pinned by the hashes verified at start, to say the shop is unavailable.
      expect(html).toMatch(
        /<script type="module" nonce="n" src="\/shell\/main-[\w-]+\.js" integrity="sha384-/,
      );
    }
  });

  it('gives the BFF its navigation rules and gated assets', () => {
    const rules = Object.fromEntries(web.navigation.map((rule) => [rule.path, rule.auth]));
    expect(rules).toMatchObject({
      '/cart': 'optional',
      '/checkout': 'required',
      '/profile': 'required',
      '/orders': 'required',
      '/orders/:id': 'required',
      '/admin': 'required',
      '/org/:tenant': 'required',
      '/org/:tenant/users': 'required',
      '/org/:tenant/billing': 'required',
      '/org/:tenant/audit-logs': 'required',
    });
    expect(rules['/']).toBeUndefined();
    const byBff = web.built.remotes.filter((remote) => remote.serve === 'bff');
    expect(web.assets).toHaveLength(1 + byBff.length);
    expect(web.assets.map(({ dir: _dir, ...rule }) => rule)).toEqual(
      expect.arrayContaining([
        { prefix: '/shell/', access: 'public' },
        { prefix: '/remotes/admin/', access: 'required', roles: ['admin'] },
        { prefix: '/remotes/org/', access: 'required', tenantMember: true },
      ]),
    );
    // Every other remote of the build is served by the remotes origin, the shop's seven public ones included.
    const byOrigin = web.built.remotes
      .filter((remote) => remote.serve !== 'bff')
      .map((remote) => remote.name);
    expect(Object.keys(web.publicRemotes).sort()).toEqual(byOrigin.sort());
    expect(byOrigin).toEqual(
      expect.arrayContaining(['cart', 'catalog', 'checkout', 'home', 'orders', 'product', 'profile']),
    );
  });
});

describe('the remotes origin', () => {
  let dir: string;
  let origin: Awaited<ReturnType<typeof startRemotesOrigin>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-remotes-'));
    mkdirSync(join(dir, 'home'));
    writeFileSync(join(dir, 'home/home-abcdefgh.js'), 'export const remote = {};');
    writeFileSync(join(dir, 'home/.build-stamp'), 'x');
    writeFileSync(join(dir, 'secret.js'), 'nope');
    origin = await startRemotesOrigin({
      remotes: { home: join(dir, 'home') },
      allowOrigin: 'http://localhost:4000',
    });
  });
  afterAll(async () => {
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const browser = new TestBrowser();
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    browser.request(`${origin.url}${path}`, { method, headers });

  it('serves a module with CORS for exactly the shell’s origin, nosniff and immutable caching', async () => {
    const answer = await get('/home/home-abcdefgh.js', { origin: 'http://localhost:4000' });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('export const remote = {};');
    expect(answer.headers).toMatchObject({
      'content-type': 'text/javascript; charset=utf-8',
      'access-control-allow-origin': 'http://localhost:4000',
      vary: 'Origin',
      'x-content-type-options': 'nosniff',
      'cache-control': 'public, max-age=31536000, immutable',
    });
    const other = await get('/home/home-abcdefgh.js', { origin: 'http://evil.example' });
    expect(other.header('access-control-allow-origin')).toBeUndefined();
  });

  it('allows exactly the shell’s origin: no suffix, prefix or look-alike origin, never `*` (SECURITY 27)', async () => {
    const shell = 'http://localhost:4000';
    for (const method of ['GET', 'HEAD']) {
      const exact = await get('/home/home-abcdefgh.js', { origin: shell }, method);
      expect(exact.status, method).toBe(200);
      expect(exact.header('access-control-allow-origin'), method).toBe(shell);
      expect(exact.header('vary'), method).toBe('Origin');
    }
    expect((await get('/home/home-abcdefgh.js')).header('access-control-allow-origin')).toBeUndefined();
    const spoofs = [
      `${shell}.evil.example`,
      'http://localhost:4000.evil.example:4000',
      'http://evil.localhost:4000',
      'http://evillocalhost:4000',
      'http://evil.example#http://localhost:4000',
      'http://localhost:40000',
      'http://localhost:400',
      'http://localhost',
      'https://localhost:4000',
      'http://LOCALHOST:4000',
      'http://127.0.0.1:4000',
      `${shell}/`,
      `${shell}, http://evil.example`,
      'null',
      '*',
    ];
    for (const origin of spoofs) {
      for (const [method, path, headers] of [
        ['GET', '/home/home-abcdefgh.js', {}],
        ['HEAD', '/home/home-abcdefgh.js', {}],
        ['GET', '/home/missing-abcdefgh.js', {}],
        ['OPTIONS', '/home/home-abcdefgh.js', { 'access-control-request-method': 'GET' }],
      ] as const) {
        const answer = await get(path, { origin, ...headers }, method);
        const what = `${method} ${path} from ${origin}`;
        expect(answer.header('access-control-allow-origin'), what).toBeUndefined();
        expect(
          Object.keys(answer.headers).filter((name) => name.startsWith('access-control-')),
          what,
        ).toEqual([]);
      }
    }
  });

  it('answers 404 for traversal, dot-files and unknown remotes, 405 for other methods', async () => {
    for (const path of [
      '/home/../secret.js',
      '/home/%2e%2e/secret.js',
      '/home/.build-stamp',
      '/admin/x.js',
      '/secret.js',
      '/home/',
    ]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
    }
    const post = await get('/home/home-abcdefgh.js', {}, 'POST');
    expect(post.status).toBe(405);
  });
});
