import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/index.js';
import { newRemote, SHOP_LAYOUT } from '../src/new-remote.js';
import { REMOTE_VERSIONS } from '../src/remote-template.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
const run = async (argv: string[]) => {
  const io = { out: new Capture(), err: new Capture() };
  const code = await main(argv, io);
  return { code, out: io.out.text, err: io.err.text };
};

/** A repository with the shop's layout: workspaces, one remote (cart, at /cart), the role map. */
function fakeRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'gh-new-remote-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ private: true, workspaces: ['examples/*'] }));
  mkdirSync(join(root, SHOP_LAYOUT.remotes, 'cart'), { recursive: true });
  writeFileSync(
    join(root, SHOP_LAYOUT.remotes, 'cart/package.json'),
    JSON.stringify({
      name: '@gatehouse/shop-remote-cart',
      gatehouse: { routes: ['/cart'], auth: 'optional' },
    }),
  );
  mkdirSync(join(root, 'examples/shop/src'), { recursive: true });
  writeFileSync(join(root, SHOP_LAYOUT.roleMap), 'export const shopRolePermissions = {};\n');
  return root;
}

describe('gatehouse new remote', () => {
  let root: string;
  beforeAll(() => {
    root = fakeRepository();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the remote into the shop’s remotes, from anywhere in the repository, and says what is next', () => {
    const made = newRemote({ name: 'wishlist', cwd: join(root, 'examples/shop/src') });
    const dir = join(root, SHOP_LAYOUT.remotes, 'wishlist');
    expect(made.dir).toBe(dir);
    expect([...made.files].sort()).toEqual(
      [
        'README.md',
        'package.json',
        'src/index.tsx',
        'src/wishlist-api.ts',
        'src/wishlist-page.tsx',
        'test/wishlist.test.tsx',
        'vite.config.ts',
      ].sort(),
    );
    for (const file of made.files) expect(existsSync(join(dir, file)), file).toBe(true);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: '@gatehouse/shop-remote-wishlist',
      gatehouse: { routes: ['/wishlist'], auth: 'required', upstreams: ['wishlist'] },
      scripts: { test: 'vitest run --root ../../../../.. examples/shop/web/remotes/wishlist' },
    });
    expect(readFileSync(join(dir, 'src/wishlist-page.tsx'), 'utf8')).toContain(
      "export const WISHLIST_EDIT: Permission = 'wishlist:edit';",
    );
    expect(readFileSync(join(dir, 'src/wishlist-api.ts'), 'utf8')).toContain(
      "export const WISHLIST_API = '/api/wishlist';",
    );
    expect(made.roleMap).toBe(join(root, SHOP_LAYOUT.roleMap));
    expect(made.nextSteps).toContain('Grant wishlist:edit');
    expect(made.nextSteps).toContain('examples/shop/src/shop-roles.ts');
    expect(made.nextSteps).toContain('npm install');
    expect(made.nextSteps).toContain('package-lock.json');
    expect(made.nextSteps).toContain('npx vitest run examples/shop/web/remotes/wishlist');
  });

  it('takes --api, --permission and --dir on the command line, and prints the next steps', async () => {
    const dir = join(root, 'elsewhere/gift-cards');
    const result = await run([
      'new',
      'remote',
      'gift-cards',
      '--dir',
      dir,
      '--api',
      '/api/profile/gift-cards',
      '--permission',
      'gifts:send',
    ]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('Created the gift-cards remote in elsewhere/gift-cards');
    // Outside the shop's remotes there is no shop role map to point at.
    expect(result.out).toContain("your app's role map");
    const page = readFileSync(join(dir, 'src/gift-cards-page.tsx'), 'utf8');
    expect(page).toContain("export const GIFT_CARDS_EDIT: Permission = 'gifts:send';");
    expect(page).toContain('export function GiftCardsPage(): ReactNode {');
    expect(readFileSync(join(dir, 'src/gift-cards-api.ts'), 'utf8')).toContain(
      "export const GIFT_CARDS_API = '/api/profile/gift-cards';",
    );
    expect((await run(['help'])).out).toContain('new remote <name>');
  });

  it('refuses a bad name, an existing folder and a taken route with a coded error and exit code 2', async () => {
    const refused = async (argv: string[], code: string) => {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err, argv.join(' ')).toContain(code);
      return result.err;
    };
    const at = (name: string) => ['new', 'remote', name, '--dir', join(root, SHOP_LAYOUT.remotes, name)];
    for (const name of ['Wishlist', 'wish_list', '2fa', 'wish--list', 'wish-', 'a'.repeat(31), 'a/b'])
      await refused(at(name), 'GH_CLI_BAD_REMOTE_NAME');
    expect(await refused(at('auth'), 'GH_CLI_BAD_REMOTE_NAME')).toContain(
      '/auth belongs to the BFF or the shell',
    );
    expect(await refused(at('cart'), 'GH_CLI_REMOTE_EXISTS')).toContain(
      'examples/shop/web/remotes/cart exists already',
    );
    rmSync(join(root, 'examples/shop/web/remotes/wishlist'), { recursive: true, force: true });
    mkdirSync(join(root, SHOP_LAYOUT.remotes, 'shopping'), { recursive: true });
    writeFileSync(
      join(root, SHOP_LAYOUT.remotes, 'shopping/package.json'),
      JSON.stringify({ gatehouse: { routes: [{ path: '/basket', children: [{ path: 'saved' }] }] } }),
    );
    expect(await refused(at('basket'), 'GH_CLI_ROUTE_TAKEN')).toContain(
      'the shopping remote already renders /basket',
    );
    // Nothing was written for any of them.
    for (const name of ['basket', 'auth', 'Wishlist'])
      expect(existsSync(join(root, SHOP_LAYOUT.remotes, name))).toBe(false);
  });

  it('refuses bad options, another kind, and a place with no shop above it', async () => {
    const dir = join(root, 'tmp-x');
    for (const argv of [
      ['new', 'remote', 'x', '--dir', dir, '--api', 'https://evil.example/api/x'],
      ['new', 'remote', 'x', '--dir', dir, '--api', '/api/../auth'],
      ['new', 'remote', 'x', '--dir', dir, '--permission', 'Wishlist:Edit'],
      ['new', 'remote', 'x', '--dir', dir, '--colour', 'red'],
      ['new', 'page', 'x'],
      ['new', 'remote'],
      ['new', 'remote', 'x', 'y'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err, argv.join(' ')).toMatch(/^gatehouse: /);
    }
    expect(existsSync(dir)).toBe(false);
    const nowhere = mkdtempSync(join(tmpdir(), 'gh-no-shop-'));
    try {
      expect(() => newRemote({ name: 'wishlist', cwd: nowhere })).toThrow(/GH_CLI_NO_REMOTES_DIR/);
    } finally {
      rmSync(nowhere, { recursive: true, force: true });
    }
  });

  it('writes the versions the shop’s remotes use (one copy of React for the page)', () => {
    const profile = JSON.parse(
      readFileSync(join(repo, SHOP_LAYOUT.remotes, 'profile/package.json'), 'utf8'),
    ) as Record<string, Record<string, string>>;
    const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(profile.dependencies!['@gatehouse/react']).toBe(REMOTE_VERSIONS.gatehouse);
    expect(profile.peerDependencies!.react).toBe(REMOTE_VERSIONS.react);
    expect(profile.devDependencies!['@types/react']).toBe(REMOTE_VERSIONS.typesReact);
    expect(profile.devDependencies!.vite).toBe(REMOTE_VERSIONS.vite);
    expect(root.devDependencies.vitest).toBe(REMOTE_VERSIONS.vitest);
    expect(root.devDependencies['happy-dom']).toBe(REMOTE_VERSIONS.happyDom);
  });

  it('writes code as Biome formats it, whatever the name’s length', () => {
    const out = mkdtempSync(join(tmpdir(), 'gh-new-remote-format-'));
    try {
      for (const name of [
        'a',
        'in',
        'index',
        'b2',
        'gift-cards',
        'z'.repeat(30),
        'abcdefghij-klmnopqrst-uvw-xyz1',
      ])
        newRemote({ name, dir: join(out, name), api: `/api/${name}/entries` });
      const biome = spawnSync(
        join(repo, 'node_modules/.bin/biome'),
        ['check', `--config-path=${repo}`, '--vcs-enabled=false', out],
        { encoding: 'utf8' },
      );
      expect(biome.stderr + biome.stdout).toContain('Checked 42 files');
      expect(biome.status, biome.stderr + biome.stdout).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
