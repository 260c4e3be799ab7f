// Every installed package must run on the Node.js versions the project says it supports (package.json
// `engines.node`): a dependency that wants a newer Node.js breaks the promise (and `npm ci` warns EBADENGINE).
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  readonly version?: string;
  readonly engines?: Record<string, string> | string[];
}

const root = new URL('../', import.meta.url);
const read = (file: string) => JSON.parse(readFileSync(new URL(file, root), 'utf8'));
const project = read('package.json') as { engines: { node: string } };
const lock = read('package-lock.json') as { packages: Record<string, LockEntry> };
const oldest = semver.minVersion(project.engines.node)!.version;

/** The `engines.node` range of a lock entry (absent, or the old array form, means no constraint). */
const nodeRange = (entry: LockEntry) =>
  entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;

/** True when the range leaves out the oldest Node.js the project supports. */
const excludesOldest = (range: string) => !semver.satisfies(oldest, range, { includePrerelease: true });

describe(`every installed package runs on Node.js ${oldest} (package.json engines.node ${project.engines.node})`, () => {
  it('is read from the whole installed tree', () => {
    expect(oldest).toBe('20.19.0');
    const constrained = Object.values(lock.packages).filter((entry) => nodeRange(entry));
    expect(constrained.length).toBeGreaterThan(100);
    // What the check below catches: cookie@2's range.
    expect(excludesOldest('>=22')).toBe(true);
    expect(excludesOldest('>=18')).toBe(false);
  });

  it('has no package whose engines.node leaves it out', () => {
    const offenders = Object.entries(lock.packages)
      .filter(([, entry]) => {
        const range = nodeRange(entry);
        return range !== undefined && excludesOldest(range);
      })
      .map(([path, entry]) => `${path || '(root)'}@${entry.version}: node ${nodeRange(entry)}`);
    expect(offenders).toEqual([]);
  });
});
