/**
 * The remote manifest's keys, which the build writes, the signed manifest carries, the shell's validator
 * accepts (refusing any other) and `gatehouse doctor` reads: one list, so a new field is added once.
 * docs/http-contract.md#browser-side describes each.
 */
export const remoteManifestKeys: readonly string[] = /* @__PURE__ */ Object.freeze([
  'name',
  'version',
  'entry',
  'integrity',
  'modules',
  'routes',
  'auth',
  'roles',
  'permissions',
  'shared',
  'dependencies',
]);

/**
 * One third-party package a remote's build resolved, as its package-lock.json records it: the remote
 * manifest's `dependencies` lists every one the remote ships (its runtime dependencies and theirs, not its
 * build tools), sorted by name, so `gatehouse doctor` can compare remotes.
 *
 * @example
 * const react: LockedDependency = { name: 'react', version: '19.2.0', integrity: 'sha512-…', range: '^19.0.0' };
 */
export interface LockedDependency {
  readonly name: string;
  /** The exact version installed. */
  readonly version: string;
  /** The lock's `integrity` (`sha512-…`) of the package tarball, when the lock has one. */
  readonly integrity?: string;
  /** The range the remote's package.json asks for, for a direct dependency. */
  readonly range?: string;
}

/**
 * Whether a value is a `dependencies` list: an array of {@link LockedDependency}, strings where strings are
 * expected. The shop's build and `gatehouse doctor` check it; the shell only accepts the key.
 *
 * @example
 * isLockedDependencyList([{ name: 'react', version: '19.2.0' }]) // true
 */
export function isLockedDependencyList(value: unknown): value is LockedDependency[] {
  return (
    Array.isArray(value) &&
    value.every(
      (entry) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof entry.name === 'string' &&
        typeof entry.version === 'string' &&
        ['undefined', 'string'].includes(typeof entry.integrity) &&
        ['undefined', 'string'].includes(typeof entry.range),
    )
  );
}
