import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { LockedDependency } from '@gatehouse/policy';

/** A route a remote renders, as `@gatehouse/shell`'s route table takes it. */
export interface ManifestRoute {
  readonly path?: string;
  readonly auth?: 'public' | 'optional' | 'required';
  readonly roles?: readonly string[];
  readonly permissions?: readonly string[];
  readonly tenantParam?: string;
  readonly children?: readonly ManifestRoute[];
}

/** A remote's manifest (`@gatehouse/shell`'s `RemoteManifest`): what to load, pinned by hash, and where it goes. */
export interface RemoteManifest {
  readonly name: string;
  readonly version: string;
  /** Absolute URL of the entry module. */
  readonly entry: string;
  /** `sha384-…` of the entry module's bytes. */
  readonly integrity: string;
  /** Every other module (chunks): absolute URL → `sha384-…`. */
  readonly modules: Readonly<Record<string, string>>;
  readonly routes: readonly (string | ManifestRoute)[];
  readonly auth: 'public' | 'optional' | 'required';
  readonly roles?: readonly string[];
  readonly permissions?: readonly string[];
  /** The upstreams it calls: read (and taken off) by the shell's `@gatehouse/shell/upstreams`. */
  readonly upstreams?: readonly string[];
  /** Shared dependency → the version range this remote was built against. */
  readonly shared: Readonly<Record<string, string>>;
  /** The third-party packages it ships, from the lock (src/web/build/locked-dependencies.ts). */
  readonly dependencies?: readonly LockedDependency[];
}

/** What the build knows of a remote besides its files (from its package.json). */
export interface RemoteDescription {
  readonly name: string;
  readonly version: string;
  readonly routes: readonly (string | ManifestRoute)[];
  readonly auth: 'public' | 'optional' | 'required';
  readonly roles?: readonly string[];
  readonly permissions?: readonly string[];
  readonly upstreams?: readonly string[];
  readonly shared: Readonly<Record<string, string>>;
}

/**
 * The Subresource Integrity value of some bytes: `sha384-<base64>` (SRI's baseline algorithm).
 *
 * @example
 * sri(readFileSync('dist/index-3f2a.js')) // 'sha384-…'
 */
export function sri(bytes: Uint8Array | string): string {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
}

/**
 * Every JavaScript module under `dir` (recursively, dot-folders such as `.vite/` skipped), as paths relative
 * to `dir` with `/` separators, sorted.
 */
export function listModules(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.m?js$/.test(entry.name)) found.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return found.sort();
}

/** Relative module specifiers (`./chunk-a.js`, `../x.js`) a built module imports, statically or dynamically. */
export function relativeImports(source: string): string[] {
  const specifiers = new Set<string>();
  const patterns = [
    /\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
    /\b(?:import|export)\s*(?:[\w*$\s{},]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.add(match[1]!);
  return [...specifiers];
}

/**
 * Writes a remote's manifest from its built files: the entry and EVERY other module under `dir` get a
 * `sha384-` hash computed from the bytes on disk, under `baseUrl` (`http://localhost:4002/home/`).
 * Throws when the entry is missing, or when a module imports a relative module that is not in `dir`.
 *
 * @example
 * const manifest = remoteManifest(description, { dir: 'web/remotes/home/dist', entry: 'home-3f2a.js',
 *   baseUrl: 'http://localhost:4002/home/' });
 */
export function remoteManifest(
  description: RemoteDescription,
  build: { readonly dir: string; readonly entry: string; readonly baseUrl: string },
): RemoteManifest {
  const files = listModules(build.dir);
  if (!files.includes(build.entry)) throw new Error(`${description.name}: entry ${build.entry} not built`);
  const base = new URL(build.baseUrl);
  const hashes: Record<string, string> = {};
  for (const file of files) {
    const bytes = readFileSync(join(build.dir, file));
    for (const specifier of relativeImports(bytes.toString('utf8'))) {
      const target = new URL(specifier, new URL(file, base)).href;
      if (!files.some((other) => new URL(other, base).href === target))
        throw new Error(`${description.name}: ${file} imports ${specifier}, which the build did not write`);
    }
    hashes[new URL(file, base).href] = sri(bytes);
  }
  const entry = new URL(build.entry, base).href;
  const { [entry]: integrity, ...modules } = hashes;
  return {
    name: description.name,
    version: description.version,
    entry,
    integrity: integrity!,
    modules,
    routes: description.routes,
    auth: description.auth,
    ...(description.roles ? { roles: description.roles } : {}),
    ...(description.permissions ? { permissions: description.permissions } : {}),
    ...(description.upstreams ? { upstreams: description.upstreams } : {}),
    shared: description.shared,
  };
}

/**
 * Recomputes every hash of a manifest from the files under `dir` (served at `baseUrl`) and lists what does
 * not match: a module whose bytes changed, a module the manifest lacks, a listed module that is gone.
 * Empty when the manifest and the files agree.
 */
export function verifyManifest(
  manifest: Pick<RemoteManifest, 'entry' | 'integrity' | 'modules'>,
  dir: string,
  baseUrl: string,
): string[] {
  const problems: string[] = [];
  const listed: Record<string, string> = { ...manifest.modules, [manifest.entry]: manifest.integrity };
  const seen = new Set<string>();
  for (const file of listModules(dir)) {
    const url = new URL(file, baseUrl).href;
    seen.add(url);
    const expected = listed[url];
    if (!expected) problems.push(`${file}: not in the manifest`);
    else if (expected !== sri(readFileSync(join(dir, file)))) problems.push(`${file}: hash differs`);
  }
  for (const url of Object.keys(listed)) if (!seen.has(url)) problems.push(`${url}: listed but not built`);
  return problems;
}

/**
 * Whether `version` satisfies `range` for the forms this repository writes: an exact version, `^x.y.z` or
 * `~x.y.z` (no prerelease tags).
 */
export function satisfies(version: string, range: string): boolean {
  const parse = (v: string) => v.split('.').map(Number) as [number, number, number];
  const match = /^([\^~]?)(\d+\.\d+\.\d+)$/.exec(range.trim());
  if (!match || !/^\d+\.\d+\.\d+$/.test(version)) return false;
  const [a, b, c] = parse(version);
  const [x, y, z] = parse(match[2]!);
  const atLeast = a > x || (a === x && (b > y || (b === y && c >= z)));
  if (match[1] === '') return a === x && b === y && c === z;
  if (match[1] === '~') return atLeast && a === x && b === y;
  if (x > 0) return atLeast && a === x;
  return atLeast && a === x && (y > 0 ? b === y : b === y && c === z);
}
