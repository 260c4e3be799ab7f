import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOffline, sandboxMode } from '@gatehouse/cli/offline';
import { build, type InlineConfig, type Rolldown } from 'vite';
import { lockedDependencies } from './locked-dependencies.js';
import { listModules, type RemoteManifest, remoteManifest, satisfies, sri } from './manifest.js';
import { ensureShopSigningKey, signShopManifest } from './signing.js';
import {
  federatedRemoteViteConfig,
  packageOf,
  readRemotePackage,
  remoteViteConfig,
  SHARED_MODULES,
  sharedViteConfig,
  shellViteConfig,
} from './vite-config.js';

/** `examples/shop/web`, from `src/web/build` or `dist/web/build`. */
export const webRoot = fileURLToPath(new URL('../../../web/', import.meta.url));
const repoRoot = join(webRoot, '../../..');
const buildCode = fileURLToPath(new URL('.', import.meta.url));
const lockFile = join(repoRoot, 'package-lock.json');

/** The default origins the built manifest is written for (docs/http-contract.md#origins); `startShop` rebases to others. */
export const DEFAULT_ORIGINS = Object.freeze({
  bff: 'http://localhost:4000',
  remotes: 'http://localhost:4002',
});

/**
 * The shell's part of the build manifest: URLs on the BFF's default origin (`http://localhost:4000/shell/…`),
 * absolute like the remotes' so `gatehouse doctor` can check them; the page uses them as same-origin paths.
 */
export interface ShellManifest {
  readonly version: string;
  /** The application module, `http://localhost:4000/shell/main-<hash>.js`. */
  readonly entry: string;
  readonly integrity: string;
  readonly css: { readonly href: string; readonly integrity: string };
  /** Every module of the shell (the shared ones included) → `sha384-…`. */
  readonly modules: Readonly<Record<string, string>>;
  /** The import map's `imports`: shared specifier → module URL. */
  readonly imports: Readonly<Record<string, string>>;
  /** Shared package → the exact version built. */
  readonly shared: Readonly<Record<string, string>>;
}

/** `web/dist/shop-manifest.json`: the shell and every remote, as built. */
export interface ShopManifest {
  readonly shell: ShellManifest;
  /**
   * Every remote, with the origin it is served from (`bff`: gated by the BFF's session check) and, for a
   * Module Federation container, `federation: true`.
   */
  readonly remotes: readonly (RemoteManifest & {
    readonly serve: 'remotes' | 'bff';
    readonly federation?: true;
  })[];
}

/** Where the build manifest is written. */
export const shopManifestPath = join(webRoot, 'dist/shop-manifest.json');

/** Names of the remote packages under `web/remotes`, sorted. */
export function remoteNames(): string[] {
  const dir = join(webRoot, 'remotes');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'package.json')))
    .sort();
}

/** The newest modification time under these files and folders (node_modules and dist skipped). */
function newest(paths: readonly string[]): number {
  let latest = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path))
        if (entry !== 'node_modules' && entry !== 'dist' && !entry.startsWith('.')) visit(join(path, entry));
    } else latest = Math.max(latest, stat.mtimeMs);
  };
  for (const path of paths) visit(path);
  return latest;
}

/**
 * The sources of the workspace packages (`packages/<name>/src`) that these `package.json` files depend on:
 * the web build resolves `@gatehouse/*` to their TypeScript sources (the `gatehouse-source` condition), so a
 * change there must make every bundle that includes it stale, not only a change under `web/`.
 */
function workspaceSources(packageFiles: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const file of packageFiles) {
    const { dependencies = {} } = JSON.parse(readFileSync(file, 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(dependencies)) {
      const dir = join(repoRoot, 'packages', name.replace(/^@gatehouse\//, ''));
      if (name.startsWith('@gatehouse/') && existsSync(join(dir, 'package.json')))
        sources.add(join(dir, 'src'));
    }
  }
  return [...sources];
}

/**
 * What a remote's bundle is built from, so a change to any of it rebuilds the remote: its folder, the shop's
 * UI package, the `@gatehouse/*` sources either of them imports, the build code and the lock file.
 */
export function remoteInputs(name: string): string[] {
  const folder = join(webRoot, 'remotes', name);
  const ui = join(webRoot, 'ui');
  return [
    folder,
    join(ui, 'src'),
    join(ui, 'package.json'),
    ...workspaceSources([join(folder, 'package.json'), join(ui, 'package.json')]),
    buildCode,
    lockFile,
  ];
}

const STAMP = '.build-stamp';
const upToDate = (outDir: string, inputs: readonly string[]) => {
  const stamp = join(outDir, STAMP);
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newest(inputs);
};
const stampOf = (outDir: string) => writeFileSync(join(outDir, STAMP), `${new Date().toISOString()}\n`);

const entryOf = (output: Awaited<ReturnType<typeof build>>, name?: string): string => {
  const outputs = (Array.isArray(output) ? output : [output]) as Rolldown.RolldownOutput[];
  for (const { output: files } of outputs)
    for (const file of files)
      if (file.type === 'chunk' && file.isEntry && (!name || file.name === name)) return file.fileName;
  throw new Error(`the build wrote no entry${name ? ` ${name}` : ''}`);
};

const run = (config: InlineConfig) => build(config);

const require = createRequire(import.meta.url);
const versionOf = (pkg: string) => {
  const workspace = join(repoRoot, 'packages', pkg.replace('@gatehouse/', ''), 'package.json');
  const file = pkg.startsWith('@gatehouse/') ? workspace : require.resolve(`${pkg}/package.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
};

async function buildShell(outDir: string): Promise<void> {
  const root = join(webRoot, 'shell');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const shared = await run(sharedViteConfig(root, outDir));
  const app = await run(shellViteConfig(root, outDir));
  const base = `${DEFAULT_ORIGINS.bff}/shell/`;
  const imports: Record<string, string> = {};
  for (const [specifier, file] of Object.entries(SHARED_MODULES))
    imports[specifier] = `${base}${entryOf(shared, file)}`;
  const css = readFileSync(join(root, 'src/shop.css'));
  const cssFile = `shop-${sri(css).slice(7, 15).replace(/[+/]/g, '_')}.css`;
  writeFileSync(join(outDir, cssFile), css);
  const modules: Record<string, string> = {};
  for (const file of listModules(outDir)) modules[`${base}${file}`] = sri(readFileSync(join(outDir, file)));
  const entry = `${base}${entryOf(app, 'main')}`;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const manifest: ShellManifest = {
    version: pkg.version,
    entry,
    integrity: modules[entry]!,
    css: { href: `${base}${cssFile}`, integrity: sri(css) },
    modules,
    imports,
    shared: Object.fromEntries(
      [...new Set(Object.keys(SHARED_MODULES).map(packageOf))].map((pkg) => [pkg, versionOf(pkg)]),
    ),
  };
  writeFileSync(join(outDir, 'shell.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Builds one remote (`web/remotes/<name>`) and writes its `dist/manifest.json`, in this process. The offline
 * build runs it in a child process with no network (src/web/build/remote-command.ts).
 */
export async function buildRemote(dir: string): Promise<void> {
  const { description, serve, federation } = readRemotePackage(dir);
  const output = await run(federation ? await federatedRemoteViteConfig(dir) : remoteViteConfig(dir));
  const baseUrl =
    serve === 'bff'
      ? `${DEFAULT_ORIGINS.bff}/remotes/${description.name}/`
      : `${DEFAULT_ORIGINS.remotes}/${description.name}/`;
  const manifest = remoteManifest(description, {
    dir: join(dir, 'dist'),
    entry: federation ? 'remoteEntry.js' : entryOf(output, description.name),
    baseUrl,
  });
  // What it ships from the registry, as the lock pins it: signed with the rest, read by `gatehouse doctor`.
  const dependencies = lockedDependencies(lockFile, relative(repoRoot, dir).split(sep).join('/'));
  const built = { ...manifest, dependencies, serve, ...(federation ? { federation } : {}) };
  writeFileSync(join(dir, 'dist/manifest.json'), `${JSON.stringify(built, null, 2)}\n`);
}

const fromSource = import.meta.url.endsWith('.ts');

/**
 * Builds one remote in a child process inside a network namespace (`@gatehouse/cli`'s `runOffline`): a
 * build plugin that reaches for the network fails the build, naming the remote and the host.
 */
async function buildRemoteOffline(name: string, log: (line: string) => void): Promise<void> {
  const file = fileURLToPath(new URL(`./remote-command.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const flags = fromSource ? ['--import', 'tsx', '--conditions', 'gatehouse-source'] : [];
  await runOffline({
    name,
    command: [process.execPath, ...flags, file, name],
    cwd: webRoot,
    log,
  });
}

/** Options of {@link buildWeb}. */
export interface BuildWebOptions {
  /** Build everything, even what is up to date. */
  readonly force?: boolean;
  /**
   * Build each remote in its own process with no network (`npm run build`, CI): a Linux network namespace
   * through `unshare`; where none can be made, a warning and the build runs with the network.
   */
  readonly offline?: boolean;
  /** Only these remotes (and the shell when `shell` is listed). */
  readonly only?: readonly string[];
  readonly log?: (line: string) => void;
  /** Folder of the manifest signing key (default `.data/shop-keys`, created with a new key when missing). */
  readonly keyDir?: string;
}

/**
 * Builds the shop's browser half, incrementally: the shell (with the shared modules) and each remote are
 * rebuilt only when one of their sources is newer than their last build; then the build manifest
 * `web/dist/shop-manifest.json` is written from the built files, and the shared versions every remote
 * declares are checked against the versions the shell provides (one copy of React for the whole page).
 * Last, the manifest is signed (Ed25519, `shop-manifest.json.sig`) with the key in `.data/shop-keys`, made on
 * the first build: the BFF serves only a manifest that verifies.
 *
 * @example
 * await buildWeb({ log: console.log });
 */
export async function buildWeb(options: BuildWebOptions = {}): Promise<ShopManifest> {
  const release = await lock(options.log);
  try {
    return await buildUnlocked(options);
  } finally {
    release();
  }
}

/** One build at a time over the web folder (test files build from several workers). */
async function lock(log?: (line: string) => void): Promise<() => void> {
  const dir = join(webRoot, 'dist/.lock');
  mkdirSync(dirname(dir), { recursive: true });
  const started = Date.now();
  let said = false;
  for (;;) {
    try {
      mkdirSync(dir);
      return () => rmSync(dir, { recursive: true, force: true });
    } catch {
      if (!said && Date.now() - started > 1000) {
        said = true;
        log?.(`waiting for another web build to finish (${dir.slice(repoRoot.length + 1)})`);
      }
      const age = Date.now() - (existsSync(dir) ? statSync(dir).mtimeMs : Date.now());
      if (age > 300_000) rmSync(dir, { recursive: true, force: true });
      else if (Date.now() - started > 300_000) throw new Error(`the web build stayed locked (${dir})`);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function buildUnlocked(options: BuildWebOptions): Promise<ShopManifest> {
  const manifest = await writeManifest(options);
  if (signShopManifest(shopManifestPath, ensureShopSigningKey(options.keyDir)))
    options.log?.(`signed ${shopManifestPath.slice(repoRoot.length + 1)}`);
  return manifest;
}

async function writeManifest(options: BuildWebOptions): Promise<ShopManifest> {
  const log = options.log ?? (() => {});
  const wanted = (name: string) => !options.only || options.only.includes(name);
  const targets = [
    {
      name: 'shell',
      outDir: join(webRoot, 'shell/dist'),
      inputs: [
        join(webRoot, 'shell'),
        buildCode,
        ...['policy', 'remote', 'shell', 'react', 'federation'].map((pkg) =>
          join(repoRoot, 'packages', pkg, 'src'),
        ),
        require.resolve('react/package.json'),
        require.resolve('react-dom/package.json'),
      ],
      build: (outDir: string) => buildShell(outDir),
    },
    ...remoteNames().map((name) => ({
      name,
      outDir: join(webRoot, 'remotes', name, 'dist'),
      inputs: remoteInputs(name),
      build: () =>
        options.offline ? buildRemoteOffline(name, log) : buildRemote(join(webRoot, 'remotes', name)),
    })),
  ];
  const stale = targets.filter(
    (target) => wanted(target.name) && (options.force || !upToDate(target.outDir, target.inputs)),
  );
  log(
    stale.length
      ? `building ${stale.map((target) => target.name).join(', ')} with Vite (${options.force ? 'all of it, --force' : 'what changed since the last build'}${options.offline ? `; each remote with no network: ${sandboxMode() === 'none' ? 'NO network namespace can be made here' : `unshare ${sandboxMode() === 'netns' ? '-n' : '-rn'}`}` : ''})`
      : `the shell and ${targets.length - 1} remotes are up to date`,
  );
  let built = 0;
  for (const target of stale) {
    const started = Date.now();
    await target.build(target.outDir);
    stampOf(target.outDir);
    built++;
    log(`built ${target.name} (${Date.now() - started} ms)`);
  }
  if (!built && existsSync(shopManifestPath) && !options.force) {
    const previous = JSON.parse(readFileSync(shopManifestPath, 'utf8')) as ShopManifest;
    // Kept only while it lists exactly the remotes there are: a remote whose folder was removed leaves it.
    const listed = previous.remotes.map((remote) => remote.name).sort();
    if (listed.join() === remoteNames().join()) return previous;
  }
  const shell = JSON.parse(readFileSync(join(webRoot, 'shell/dist/shell.json'), 'utf8')) as ShellManifest;
  const remotes = remoteNames().map(
    (name) =>
      JSON.parse(
        readFileSync(join(webRoot, 'remotes', name, 'dist/manifest.json'), 'utf8'),
      ) as ShopManifest['remotes'][number],
  );
  const conflicts = remotes.flatMap((remote) =>
    Object.entries(remote.shared)
      .filter(([pkg, range]) => !shell.shared[pkg] || !satisfies(shell.shared[pkg]!, range))
      .map(
        ([pkg, range]) =>
          `${remote.name} wants ${pkg}@${range}, the shell has ${shell.shared[pkg] ?? 'none'}`,
      ),
  );
  if (conflicts.length) throw new Error(`shared versions disagree:\n  ${conflicts.join('\n  ')}`);
  const manifest: ShopManifest = { shell, remotes };
  mkdirSync(dirname(shopManifestPath), { recursive: true });
  writeFileSync(shopManifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`wrote ${shopManifestPath.slice(repoRoot.length + 1)} (${remotes.length} remotes)`);
  return manifest;
}
