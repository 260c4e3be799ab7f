import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { LockedDependency } from '@gatehouse/policy';

/** The parts of a package-lock.json (lockfileVersion 2 or 3) this reads. */
interface Lock {
  readonly packages?: Readonly<
    Record<
      string,
      {
        readonly version?: string;
        readonly integrity?: string;
        readonly link?: boolean;
        readonly resolved?: string;
        readonly dependencies?: Readonly<Record<string, string>>;
        readonly peerDependencies?: Readonly<Record<string, string>>;
        readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
        readonly optionalDependencies?: Readonly<Record<string, string>>;
      }
    >
  >;
}

/** Where Node would find `name` from the package at `from` (a lock key: `''` or `examples/shop/...`). */
function resolveKey(lock: Lock, name: string, from: string): string | undefined {
  for (let dir = from; ; dir = posix.dirname(dir)) {
    const base = dir === '.' ? '' : dir;
    if (posix.basename(base) !== 'node_modules') {
      const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages?.[key]) return key;
    }
    if (base === '') return undefined;
  }
}

/**
 * The third-party packages a workspace package ships, from the repository's package-lock.json: its runtime
 * dependencies (`dependencies`, required `peerDependencies`) and theirs, transitively, each with the exact
 * version and the `integrity` the lock records; a workspace package it depends on (a `link`) is followed, not
 * listed. Build tools (`devDependencies`) are left out: they do not reach the page. Sorted by name, then version.
 * Throws when a dependency is missing from the lock (the lock is out of date: `npm install`).
 *
 * @example
 * lockedDependencies('package-lock.json', 'examples/shop/web/remotes/cart')
 * // [{ name: 'react', version: '19.2.0', integrity: 'sha512-…', range: '^19.0.0' }, …]
 */
export function lockedDependencies(lockFile: string, workspace: string): LockedDependency[] {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as Lock;
  const root = lock.packages?.[workspace];
  if (!root) throw new Error(`${workspace} is not in ${lockFile} (npm install updates it)`);
  const direct: Record<string, string> = { ...required(root), ...root.dependencies };
  const found = new Map<string, LockedDependency>();
  const visited = new Set<string>();
  const visit = (from: string, names: Readonly<Record<string, string>>) => {
    for (const name of Object.keys(names)) {
      const key = resolveKey(lock, name, from);
      if (!key) throw new Error(`${from}: ${name} is not in ${lockFile} (npm install updates it)`);
      if (visited.has(key)) continue;
      visited.add(key);
      const entry = lock.packages![key]!;
      if (entry.link && entry.resolved) {
        const target = lock.packages![entry.resolved];
        if (target) visit(entry.resolved, { ...required(target), ...target.dependencies });
        continue;
      }
      const version = entry.version ?? '0.0.0';
      found.set(`${name}@${version}`, {
        name,
        version,
        ...(entry.integrity ? { integrity: entry.integrity } : {}),
        ...(from === workspace && direct[name] ? { range: direct[name] } : {}),
      });
      visit(key, { ...required(entry), ...entry.dependencies, ...entry.optionalDependencies });
    }
  };
  visit(workspace, direct);
  return [...found.values()].sort((a, b) =>
    a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1,
  );
}

/** The peer dependencies a package requires (optional ones left out). */
function required(entry: NonNullable<Lock['packages']>[string]): Record<string, string> {
  const meta = entry.peerDependenciesMeta ?? {};
  return Object.fromEntries(
    Object.entries(entry.peerDependencies ?? {}).filter(([name]) => !meta[name]?.optional),
  );
}
