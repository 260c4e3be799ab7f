// `gatehouse doctor`'s dependency picture across remotes: every remote's signed `dependencies` record (name,
// version, integrity from its package-lock.json) compared with the others', and with published advisories.
import { isLockedDependencyList, type LockedDependency } from '@gatehouse/policy';
import semver from 'semver';

/** One remote's record, as its manifest carries it. */
export interface RemoteDependencies {
  readonly remote: string;
  readonly dependencies: readonly LockedDependency[];
  /** The remote's `shared` map: a singleton it ships must be listed there, or it bundles its own copy. */
  readonly shared: Readonly<Record<string, string>>;
}

/** A published advisory: which versions of a package it concerns. */
export interface Advisory {
  readonly name: string;
  readonly title: string;
  readonly severity: string;
  readonly url?: string;
  /** The vulnerable versions, a semver range (`<4.17.21`). */
  readonly range: string;
}

/** A finding about the dependencies: the same library at two versions, a singleton, an advisory. */
export interface DependencyFinding {
  readonly remote: string;
  readonly check: 'duplicate' | 'singleton' | 'advisory';
  readonly message: string;
}

/**
 * The dependency records of a manifest's remotes; a remote whose `dependencies` is not a list of
 * `{ name, version, integrity?, range? }` is answered in `malformed`.
 */
export function dependencyRecords(entries: ReadonlyArray<[string, Record<string, unknown>]>): {
  records: RemoteDependencies[];
  malformed: string[];
} {
  const records: RemoteDependencies[] = [];
  const malformed: string[] = [];
  for (const [remote, manifest] of entries) {
    if (manifest.dependencies === undefined) continue;
    if (!isLockedDependencyList(manifest.dependencies)) {
      malformed.push(remote);
      continue;
    }
    const shared = (manifest.shared ?? {}) as Record<string, string>;
    records.push({ remote, dependencies: manifest.dependencies, shared });
  }
  return { records, malformed };
}

/** name → version → the remotes that ship it, and name → the ranges remotes ask for. */
function byName(records: readonly RemoteDependencies[]) {
  const versions = new Map<string, Map<string, string[]>>();
  const ranges = new Map<string, Array<{ remote: string; range: string }>>();
  for (const { remote, dependencies } of records) {
    for (const { name, version, range } of dependencies) {
      const seen = versions.get(name) ?? new Map<string, string[]>();
      seen.set(version, [...(seen.get(version) ?? []), remote]);
      versions.set(name, seen);
      if (range) ranges.set(name, [...(ranges.get(name) ?? []), { remote, range }]);
    }
  }
  return { versions, ranges };
}

/**
 * The version every remote could converge on: the highest recorded version that satisfies every range the
 * remotes ask for; `undefined` when none does.
 *
 * @example
 * convergeVersion(['18.3.1', '19.2.0'], ['^19.0.0', '>=18']) // '19.2.0'
 */
export function convergeVersion(versions: readonly string[], ranges: readonly string[]): string | undefined {
  const sorted = versions.filter((version) => semver.valid(version)).sort(semver.rcompare);
  return sorted.find((version) => ranges.every((range) => semver.satisfies(version, range)));
}

const list = (remotes: readonly string[]) => remotes.join(', ');

/**
 * Duplicates (one library at several versions across remotes, with the version to converge on), singletons
 * that cannot be shared (no single version satisfies every remote, or a remote ships one without sharing it),
 * and the advisories that concern a recorded version.
 */
export function dependencyFindings(
  records: readonly RemoteDependencies[],
  singletons: readonly string[],
  advisories: ReadonlyMap<string, readonly Advisory[]>,
): DependencyFinding[] {
  const findings: DependencyFinding[] = [];
  const { versions, ranges } = byName(records);
  for (const [name, seen] of versions) {
    if (seen.size < 2) continue;
    const asked = ranges.get(name) ?? [];
    const target = convergeVersion(
      [...seen.keys()],
      asked.map((entry) => entry.range),
    );
    const spread = [...seen].map(([version, remotes]) => `${version} (${list(remotes)})`).join(', ');
    const remotes = [...seen.values()].flat();
    if (target) {
      const behind = [...seen].filter(([version]) => version !== target).flatMap(([, names]) => names);
      findings.push({
        remote: list([...new Set(behind)]),
        check: 'duplicate',
        message: `${name} is shipped at ${seen.size} versions: ${spread}; converge on ${target}`,
      });
    } else if (singletons.includes(name)) {
      findings.push({
        remote: list([...new Set(remotes)]),
        check: 'singleton',
        message: `${name} cannot be shared: ${spread}, and no version satisfies every range (${asked.map((entry) => `${entry.remote} ${entry.range}`).join(', ')})`,
      });
    } else {
      findings.push({
        remote: list([...new Set(remotes)]),
        check: 'duplicate',
        message: `${name} is shipped at ${seen.size} versions: ${spread}; no one version satisfies every range (${asked.map((entry) => `${entry.remote} ${entry.range}`).join(', ')})`,
      });
    }
  }
  for (const { remote, dependencies, shared } of records) {
    for (const { name, version } of dependencies) {
      if (singletons.includes(name) && !(name in shared))
        findings.push({
          remote,
          check: 'singleton',
          message: `${name} ${version} is a singleton but not in ${remote}'s shared map: it would bundle its own copy`,
        });
      for (const advisory of advisories.get(remote)?.filter((a) => a.name === name) ?? []) {
        if (semver.satisfies(version, advisory.range, { includePrerelease: true }))
          findings.push({
            remote,
            check: 'advisory',
            message: `${name} ${version}: ${advisory.severity} advisory "${advisory.title}"${advisory.url ? ` ${advisory.url}` : ''} (vulnerable: ${advisory.range})`,
          });
      }
    }
  }
  return findings;
}

interface AuditVia {
  readonly name?: unknown;
  readonly title?: unknown;
  readonly url?: unknown;
  readonly severity?: unknown;
  readonly range?: unknown;
}

/**
 * The advisories in `npm audit --json` output (auditReportVersion 2, npm 7 and later): each
 * `vulnerabilities.<name>.via` entry that is an advisory (not the name of another vulnerable package).
 * Throws on anything else, naming what was expected.
 *
 * @example
 * parseNpmAudit(JSON.parse(execFileSync('npm', ['audit', '--json'], { encoding: 'utf8' })))
 */
export function parseNpmAudit(json: unknown): Advisory[] {
  const report = json as { auditReportVersion?: unknown; vulnerabilities?: unknown; error?: unknown };
  if (
    report?.auditReportVersion !== 2 ||
    typeof report.vulnerabilities !== 'object' ||
    !report.vulnerabilities
  )
    throw new Error(
      'not `npm audit --json` output (auditReportVersion 2 with vulnerabilities expected)' +
        (report?.error ? `: it holds an error, ${JSON.stringify(report.error).slice(0, 200)}` : ''),
    );
  const advisories: Advisory[] = [];
  for (const entry of Object.values(report.vulnerabilities as Record<string, { via?: unknown }>)) {
    for (const via of Array.isArray(entry?.via) ? (entry.via as AuditVia[]) : []) {
      if (typeof via !== 'object' || typeof via.name !== 'string' || typeof via.range !== 'string') continue;
      advisories.push({
        name: via.name,
        title: typeof via.title === 'string' ? via.title : 'advisory',
        severity: typeof via.severity === 'string' ? via.severity : 'unknown',
        ...(typeof via.url === 'string' ? { url: via.url } : {}),
        range: via.range,
      });
    }
  }
  return advisories;
}

/**
 * The advisories the registry's bulk advisory service (what `npm audit` asks) publishes for these packages,
 * or the reason it did not answer. Optional: `gatehouse doctor --audit` only.
 */
export async function fetchAdvisories(
  dependencies: readonly LockedDependency[],
  registry = 'https://registry.npmjs.org',
): Promise<Advisory[] | { readonly unavailable: string }> {
  const body: Record<string, string[]> = {};
  for (const { name, version } of dependencies) body[name] = [...new Set([...(body[name] ?? []), version])];
  const url = new URL('/-/npm/v1/security/advisories/bulk', registry).href;
  try {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    if (!answer.ok) return { unavailable: `${url} answered ${answer.status} ${answer.statusText}`.trim() };
    const published = (await answer.json()) as Record<string, AuditVia[]>;
    return Object.entries(published).flatMap(([name, entries]) =>
      (Array.isArray(entries) ? entries : []).flatMap((entry) => {
        const range = (entry as { vulnerable_versions?: unknown }).vulnerable_versions;
        return typeof range === 'string'
          ? [
              {
                name,
                title: typeof entry.title === 'string' ? entry.title : 'advisory',
                severity: typeof entry.severity === 'string' ? entry.severity : 'unknown',
                ...(typeof entry.url === 'string' ? { url: entry.url } : {}),
                range,
              },
            ]
          : [];
      }),
    );
  } catch (error) {
    return { unavailable: `${url}: ${(error as Error).message}` };
  }
}

/** Where `gatehouse doctor` takes advisories from. */
export interface AuditSources {
  /** Remote name (or `*` for every remote) → a file of `npm audit --json` output for it. */
  readonly files?: Readonly<Record<string, string>>;
  /** Ask the registry's advisory service (needs the network; optional). */
  readonly live?: boolean;
  /** The registry for `live` (default https://registry.npmjs.org). */
  readonly registry?: string;
}

/**
 * The advisories for each remote, from recorded `npm audit --json` files and, with `live`, the registry;
 * `notes` say what could not be read or asked, so a run never passes silently unchecked.
 */
export async function advisoriesFor(
  records: readonly RemoteDependencies[],
  sources: AuditSources,
  read: (file: string) => Promise<string>,
): Promise<{ advisories: Map<string, Advisory[]>; notes: string[] }> {
  const advisories = new Map<string, Advisory[]>();
  const notes: string[] = [];
  const add = (remote: string, found: readonly Advisory[]) =>
    advisories.set(remote, [...(advisories.get(remote) ?? []), ...found]);
  const names = records.map((record) => record.remote);
  for (const [remote, file] of Object.entries(sources.files ?? {})) {
    if (remote !== '*' && !names.includes(remote)) {
      notes.push(`audit file ${file}: no remote "${remote}" with a dependency record`);
      continue;
    }
    try {
      const found = parseNpmAudit(JSON.parse(await read(file)));
      for (const name of remote === '*' ? names : [remote]) add(name, found);
    } catch (error) {
      notes.push(`audit file ${file}: ${(error as Error).message}`);
    }
  }
  if (sources.live) {
    const live = await fetchAdvisories(
      records.flatMap((record) => record.dependencies),
      sources.registry,
    );
    if ('unavailable' in live)
      notes.push(
        `the registry's advisory service did not answer (${live.unavailable}): advisories not checked`,
      );
    else for (const name of names) add(name, live);
  } else if (!sources.files || Object.keys(sources.files).length === 0) {
    notes.push(
      'advisories not checked (--audit asks the registry, --audit-file reads `npm audit --json` output)',
    );
  }
  return { advisories, notes };
}
