import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSignedManifest } from '@gatehouse/bff';
import semver from 'semver';
import {
  type AuditSources,
  advisoriesFor,
  dependencyFindings,
  dependencyRecords,
} from './doctor-dependencies.js';
import { checkMfManifest, type MfManifest, mfManifestUrl } from './doctor-federation.js';

/** One finding of `gatehouse doctor`. */
export interface DoctorProblem {
  /** The remote it concerns (`shell` for the shell, `manifest` for the file as a whole). */
  readonly remote: string;
  readonly check:
    | 'signature'
    | 'shape'
    | 'origin'
    | 'integrity'
    | 'unlisted-module'
    | 'auth'
    | 'shared'
    | 'https'
    | 'dependencies'
    | 'duplicate'
    | 'singleton'
    | 'advisory';
  readonly message: string;
}

/** What `gatehouse doctor` was asked to check. */
export interface DoctorOptions {
  /** The manifest: `{ shell?, remotes: [...] }` or an array of remote manifests. */
  readonly manifest: string;
  /** Check the manifest's Ed25519 signature (`<manifest>.sig`) with this public key (PEM or path). */
  readonly publicKey?: string;
  /** Exact origins remote code may come from. */
  readonly allowedOrigins: readonly string[];
  /** URL prefix → local directory, to read built files instead of fetching them. */
  readonly roots?: Readonly<Record<string, string>>;
  /** Production rules: every remote URL is https. */
  readonly production?: boolean;
  /** Shared packages that must be one version across shell and remotes. */
  readonly singletons?: readonly string[];
  /** Resolve relative URLs (a shell served from the page's own origin: `/shell/…`) against this origin. */
  readonly base?: string;
  /**
   * Fail on the dependency picture too (CI): a library at several versions across remotes, a singleton that
   * cannot be shared, a version with a published advisory. Without it they are warnings.
   */
  readonly strict?: boolean;
  /** Where advisories come from: recorded `npm audit --json` files, and/or the registry (`live`). */
  readonly audit?: AuditSources;
}

/** The report: every remote checked and every problem found. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly remotes: ReadonlyArray<{
    readonly name: string;
    readonly version: string;
    readonly modules: number;
  }>;
  readonly problems: readonly DoctorProblem[];
  /** The dependency findings, when not `strict` (then they are problems). */
  readonly warnings: readonly DoctorProblem[];
  /** What was not checked, and why (no dependency record, no advisory source, a registry that did not answer). */
  readonly notes: readonly string[];
}

interface Remote {
  readonly name?: unknown;
  readonly version?: unknown;
  readonly entry?: unknown;
  readonly integrity?: unknown;
  readonly modules?: unknown;
  readonly auth?: unknown;
  readonly roles?: unknown;
  readonly permissions?: unknown;
  readonly shared?: unknown;
}

const SRI = /^sha384-[A-Za-z0-9+/]{64}$/;
const DEFAULT_SINGLETONS = [
  'react',
  'react-dom',
  '@gatehouse/policy',
  '@gatehouse/remote',
  '@gatehouse/react',
  '@gatehouse/shell',
];
// Relative module specifiers in built ES modules: static imports/exports and dynamic import().
const IMPORTS =
  /(?:\bimport|\bexport)\s*(?:[^'"()]*?\sfrom\s*)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

async function bytesOf(url: string, roots: Readonly<Record<string, string>>): Promise<Buffer> {
  for (const [prefix, dir] of Object.entries(roots)) {
    if (url.startsWith(prefix)) return readFile(join(dir, decodeURIComponent(url.slice(prefix.length))));
  }
  const answer = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!answer.ok) throw new Error(`${url} answered ${answer.status}`);
  return Buffer.from(await answer.arrayBuffer());
}

const sri = (bytes: Buffer) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

/** A shared dependency's range as one remote (or the shell) declares it. */
interface SharedRange {
  readonly remote: string;
  readonly range: string;
}

/** What every check of one `doctor` run shares: its options and what it has found so far. */
interface Run {
  readonly options: DoctorOptions;
  readonly allowed: ReadonlySet<string>;
  readonly roots: Readonly<Record<string, string>>;
  readonly problems: DoctorProblem[];
  /** Every shared dependency's declared ranges, to check the singletons at the end. */
  readonly shared: Map<string, SharedRange[]>;
}

/** The manifest's remotes and its shell, when it is readable and has the expected shape. */
interface Manifest {
  readonly remotes: readonly Remote[];
  readonly shell?: unknown;
}

const record = (run: Run, remote: string, check: DoctorProblem['check'], message: string) =>
  run.problems.push({ remote, check, message });

function addShared(run: Run, dependency: string, shared: SharedRange): void {
  const list = run.shared.get(dependency) ?? [];
  list.push(shared);
  run.shared.set(dependency, list);
}

/** A URL resolved against `--base` (a shell served from the page's own origin: `/shell/…`). */
function absolute(run: Run, url: string): string {
  try {
    return new URL(url, run.options.base).href;
  } catch {
    return url;
  }
}

/** Records a URL off the allow-list or not on https in production; false when it is not even an absolute URL. */
function checkUrl(run: Run, remote: string, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    record(run, remote, 'shape', `${url} is not an absolute URL`);
    return false;
  }
  if (!run.allowed.has(parsed.origin)) record(run, remote, 'origin', `${url} is not on an allowed origin`);
  if (run.options.production && parsed.protocol !== 'https:')
    record(run, remote, 'https', `${url} is not served over https`);
  return true;
}

/** Reads (and with a public key, verifies) the manifest; a problem when it cannot be read or has no remotes. */
async function loadManifest(options: DoctorOptions): Promise<Manifest | DoctorProblem> {
  let document: unknown;
  try {
    document = options.publicKey
      ? readSignedManifest({ file: options.manifest, publicKey: options.publicKey })
      : JSON.parse(await readFile(options.manifest, 'utf8'));
  } catch (error) {
    return {
      remote: 'manifest',
      check: options.publicKey ? 'signature' : 'shape',
      message: (error as Error).message,
    };
  }
  const container = document as { shell?: unknown; remotes?: unknown };
  const remotes = (
    Array.isArray(document) ? document : Array.isArray(container?.remotes) ? container.remotes : undefined
  ) as Remote[] | undefined;
  if (!remotes)
    return {
      remote: 'manifest',
      check: 'shape',
      message: 'expected an array of remotes or { remotes: [...] }',
    };
  return { remotes, shell: container?.shell };
}

/** The remotes by name (`#<index>` for one without), then the shell when the manifest describes it. */
function namedEntries(manifest: Manifest): Array<[string, Remote]> {
  const entries: Array<[string, Remote]> = manifest.remotes.map((remote, index) => [
    typeof remote?.name === 'string' ? remote.name : `#${index}`,
    remote,
  ]);
  if (manifest.shell && typeof manifest.shell === 'object') entries.push(['shell', manifest.shell as Remote]);
  return entries;
}

/** A remote's auth rule is one of the three, and "required" when it names roles or permissions. */
function checkAuth(run: Run, name: string, remote: Remote): void {
  if (!['public', 'optional', 'required'].includes(remote.auth as string))
    record(run, name, 'auth', 'no auth rule (public, optional or required)');
  const guarded =
    (Array.isArray(remote.roles) && remote.roles.length > 0) ||
    (Array.isArray(remote.permissions) && remote.permissions.length > 0);
  if (guarded && remote.auth !== 'required')
    record(run, name, 'auth', 'roles or permissions need auth "required"');
}

/** The entry and every listed module with a sha384 hash, by absolute URL; a module without one is recorded. */
function moduleHashes(run: Run, name: string, entry: string, integrity: string, listed: unknown) {
  const modules = new Map<string, string>([[absolute(run, entry), integrity]]);
  for (const [url, hash] of Object.entries((listed as Record<string, unknown>) ?? {})) {
    if (typeof hash !== 'string' || !SRI.test(hash))
      record(run, name, 'integrity', `${url} has no sha384 hash`);
    else modules.set(absolute(run, url), hash);
  }
  return modules;
}

/**
 * A Module Federation container: its mf-manifest.json's chunks must all be pinned, its shared singletons
 * agree with everyone's, and whatever it names elsewhere be on an allowed origin.
 */
async function checkFederation(run: Run, name: string, entry: string, modules: ReadonlyMap<string, string>) {
  const url = mfManifestUrl(absolute(run, entry));
  if (!url) return;
  let mf: MfManifest;
  try {
    mf = JSON.parse((await bytesOf(url, run.roots)).toString('utf8')) as MfManifest;
  } catch (error) {
    // Beside a remoteEntry.js it is optional; as the entry it is not.
    if (url === absolute(run, entry))
      record(run, name, 'shape', `cannot read ${url}: ${(error as Error).message}`);
    return;
  }
  const found = checkMfManifest(mf, url);
  for (const file of found.files) {
    checkUrl(run, name, file);
    if (!modules.has(file))
      record(
        run,
        name,
        'unlisted-module',
        `mf-manifest.json lists ${file}, which has no hash in the manifest`,
      );
  }
  for (const foreign of found.foreign) checkUrl(run, name, foreign);
  for (const [dependency, range] of Object.entries(found.singletons))
    addShared(run, dependency, { remote: name, range });
}

/** One module's bytes match its hash, and every relative module it imports is listed with a hash too. */
async function checkModule(
  run: Run,
  name: string,
  url: string,
  expected: string,
  modules: ReadonlyMap<string, string>,
): Promise<void> {
  if (!checkUrl(run, name, url)) return;
  let bytes: Buffer;
  try {
    bytes = await bytesOf(url, run.roots);
  } catch (error) {
    record(run, name, 'integrity', `cannot read ${url}: ${(error as Error).message}`);
    return;
  }
  if (sri(bytes) !== expected)
    record(run, name, 'integrity', `${url} does not match its hash (rebuilt or tampered)`);
  for (const match of bytes.toString('utf8').matchAll(IMPORTS)) {
    const specifier = match[1] ?? match[2] ?? '';
    if (!specifier.startsWith('.') && !specifier.startsWith('/') && !/^https?:/.test(specifier)) continue;
    const target = new URL(specifier, url).href;
    if (!modules.has(target))
      record(run, name, 'unlisted-module', `${url} imports ${target}, which has no hash in the manifest`);
  }
}

/** Checks one remote (or the shell) and its modules; what was checked, or undefined when there was nothing to. */
async function checkRemote(run: Run, name: string, remote: Remote) {
  if (typeof remote.version !== 'string' || !remote.version) record(run, name, 'shape', 'no version');
  for (const [dependency, range] of Object.entries((remote.shared as Record<string, unknown>) ?? {})) {
    if (typeof range === 'string') addShared(run, dependency, { remote: name, range });
  }
  if (name === 'shell' && typeof remote.entry !== 'string') return undefined;
  if (name !== 'shell') checkAuth(run, name, remote);
  if (
    typeof remote.entry !== 'string' ||
    typeof remote.integrity !== 'string' ||
    !SRI.test(remote.integrity)
  ) {
    record(run, name, 'shape', 'entry and a sha384 integrity are required');
    return undefined;
  }
  const modules = moduleHashes(run, name, remote.entry, remote.integrity, remote.modules);
  if (name !== 'shell') await checkFederation(run, name, remote.entry, modules);
  const seen = { name, version: String(remote.version), modules: modules.size };
  for (const [url, expected] of modules) await checkModule(run, name, url, expected, modules);
  return seen;
}

/** Every pair of ranges declared for a singleton must intersect: a singleton needs one version. */
function checkSingletons(run: Run, singletons: readonly string[]): void {
  for (const dependency of singletons) {
    const ranges = run.shared.get(dependency) ?? [];
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const a = ranges[i] as SharedRange;
        const b = ranges[j] as SharedRange;
        let compatible = false;
        try {
          compatible = semver.intersects(a.range, b.range);
        } catch {
          compatible = a.range === b.range;
        }
        if (!compatible) {
          record(
            run,
            b.remote,
            'shared',
            `${dependency} ${b.range} conflicts with ${a.remote}'s ${a.range}: a singleton needs one version`,
          );
        }
      }
    }
  }
}

/**
 * The dependency picture: every remote's signed `dependencies` record compared with the others' and with the
 * advisories; findings are problems under `strict`, warnings otherwise.
 */
async function checkDependencies(run: Run, manifest: Manifest) {
  const entries = namedEntries(manifest).filter(([name]) => name !== 'shell') as Array<
    [string, Record<string, unknown>]
  >;
  const { records, malformed } = dependencyRecords(entries);
  for (const name of malformed)
    record(run, name, 'dependencies', 'dependencies must be a list of { name, version, integrity? }');
  const notes: string[] = [];
  const without = entries.filter(([, remote]) => remote.dependencies === undefined).map(([name]) => name);
  if (without.length) notes.push(`no dependency record (dependencies) for ${without.join(', ')}`);
  if (records.length === 0) return { warnings: [], notes };
  const audit = await advisoriesFor(records, run.options.audit ?? {}, (file) => readFile(file, 'utf8'));
  const findings = dependencyFindings(
    records,
    run.options.singletons ?? DEFAULT_SINGLETONS,
    audit.advisories,
  );
  if (run.options.strict) run.problems.push(...findings);
  return { warnings: run.options.strict ? [] : findings, notes: [...notes, ...audit.notes] };
}

/**
 * Checks a remote manifest and the built remotes it names (issue 6 `gatehouse doctor`): the signature, every
 * hash recomputed from the bytes, every module an entry imports listed with a hash, origins on the allow-list,
 * auth rules present and consistent, shared singletons (React, the Gatehouse runtime) at one compatible version
 * across shell and remotes, https in production. A Module Federation container's `mf-manifest.json` (its
 * entry, or beside its `remoteEntry.js`) is read too: every chunk it lists must be pinned, its singletons'
 * ranges agree with the others', and what it names on other origins (nested remotes, a publicPath) be allowed.
 * The remotes' `dependencies` records (from their lockfiles) are compared: a library at several versions (with
 * the version to converge on), a singleton that cannot be shared, a version with an advisory — warnings, or
 * problems with `strict`.
 *
 * @example
 * const report = await doctor({ manifest: 'dist/manifest.json', allowedOrigins: ['https://cdn.example'] });
 */
export async function doctor(options: DoctorOptions): Promise<DoctorReport> {
  const manifest = await loadManifest(options);
  if ('check' in manifest) return { ok: false, remotes: [], problems: [manifest], warnings: [], notes: [] };
  const run: Run = {
    options,
    allowed: new Set(options.allowedOrigins),
    roots: options.roots ?? {},
    problems: [],
    shared: new Map(),
  };
  if (run.allowed.size === 0) record(run, 'manifest', 'origin', 'no allowed origin given (--allowed-origin)');
  const remotesSeen: Array<{ name: string; version: string; modules: number }> = [];
  const names = new Set<string>();
  // One pass over the manifest, in its order, that records into `run.problems`.
  for (const [name, remote] of namedEntries(manifest)) {
    if (name !== 'shell') {
      if (names.has(name)) record(run, name, 'shape', 'the name is used twice');
      names.add(name);
    }
    const seen = await checkRemote(run, name, remote);
    if (seen) remotesSeen.push(seen);
  }
  checkSingletons(run, options.singletons ?? DEFAULT_SINGLETONS);
  const { warnings, notes } = await checkDependencies(run, manifest);
  return { ok: run.problems.length === 0, remotes: remotesSeen, problems: run.problems, warnings, notes };
}

/** The report as text for a terminal. */
export function formatReport(report: DoctorReport): string {
  const lines = [`gatehouse doctor: ${report.remotes.length} remote(s) checked`];
  for (const remote of report.remotes) {
    const mine = report.problems.filter((problem) => problem.remote === remote.name);
    lines.push(
      `  ${mine.length === 0 ? '✔' : '✖'} ${remote.name} ${remote.version} (${remote.modules} module(s))`,
    );
  }
  for (const problem of report.problems)
    lines.push(`  ✖ [${problem.check}] ${problem.remote}: ${problem.message}`);
  for (const warning of report.warnings)
    lines.push(`  ! [${warning.check}] ${warning.remote}: ${warning.message}`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  lines.push(
    (report.ok ? 'No problems found.' : `${report.problems.length} problem(s) found.`) +
      (report.warnings.length ? ` ${report.warnings.length} warning(s) (--strict fails on them).` : ''),
  );
  return `${lines.join('\n')}\n`;
}
