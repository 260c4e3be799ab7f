import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shopWebRoot } from '../../src/index.js';
import { DEFAULT_ORIGINS, type ShopManifest, shopSigningKey } from '../../src/web/build/index.js';

/** A private copy of the built web folder, for tests that change files on disk while others run. */
export interface WebCopy {
  /** Same layout as `examples/shop/web`: `shell/dist`, `remotes/<name>/dist`, `dist/shop-manifest.json(.sig)`. */
  readonly root: string;
  /** `<root>/dist/shop-manifest.json` */
  readonly manifest: string;
  /**
   * Changes one byte of a remote's entry module, or of `file` (a path under its `dist/`): a letter in a string,
   * so the code stays valid; undo with the answer.
   */
  tamper(remote: string, file?: string): { readonly file: string; restore(): void };
  remove(): void;
}

const manifestOf = (root: string) =>
  JSON.parse(readFileSync(join(root, 'dist/shop-manifest.json'), 'utf8')) as ShopManifest;

/** Copies the build (call `buildWeb()` first) to a temporary folder. */
export function copyWeb(): WebCopy {
  const root = mkdtempSync(join(tmpdir(), 'gh-shop-web-'));
  const manifest = manifestOf(shopWebRoot);
  cpSync(join(shopWebRoot, 'shell/dist'), join(root, 'shell/dist'), { recursive: true });
  for (const { name } of manifest.remotes)
    cpSync(join(shopWebRoot, 'remotes', name, 'dist'), join(root, 'remotes', name, 'dist'), {
      recursive: true,
    });
  for (const file of ['shop-manifest.json', 'shop-manifest.json.sig'])
    cpSync(join(shopWebRoot, 'dist', file), join(root, 'dist', file));
  return {
    root,
    manifest: join(root, 'dist/shop-manifest.json'),
    tamper(name, path) {
      const remote = manifest.remotes.find((candidate) => candidate.name === name);
      if (!remote) throw new Error(`no remote ${name}`);
      const file = join(root, 'remotes', name, 'dist', path ?? remote.entry.split('/').pop()!);
      const original = readFileSync(file);
      // The first letter of the first string literal (latin1: one character per byte).
      const at = original.toString('latin1').search(/(?<=["'`])[a-z]/i);
      if (at < 0) throw new Error(`${file} has no string to change`);
      const changed = Buffer.from(original);
      changed[at] = changed[at] === 0x41 ? 0x42 : 0x41;
      writeFileSync(file, changed);
      return { file, restore: () => writeFileSync(file, original) };
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * `gatehouse doctor`'s options for the shop's build in `root`: the signed manifest, the two origins it is
 * built for, and every URL prefix mapped to its folder (the CLI's `--root URL=DIR`).
 */
export function shopDoctorOptions(root: string = shopWebRoot) {
  const roots: Record<string, string> = { [`${DEFAULT_ORIGINS.bff}/shell/`]: join(root, 'shell/dist') };
  for (const remote of manifestOf(root).remotes) {
    const base = remote.serve === 'bff' ? `${DEFAULT_ORIGINS.bff}/remotes/` : `${DEFAULT_ORIGINS.remotes}/`;
    roots[`${base}${remote.name}/`] = join(root, 'remotes', remote.name, 'dist');
  }
  return {
    manifest: join(root, 'dist/shop-manifest.json'),
    publicKey: shopSigningKey().publicKey,
    allowedOrigins: [DEFAULT_ORIGINS.bff, DEFAULT_ORIGINS.remotes],
    roots,
  };
}
