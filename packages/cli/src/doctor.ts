import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSignedManifest } from '@gatehouse/bff';
import semver from 'semver';
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
    | 'https';
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

/**
 * Checks a remote manifest and the built remotes it names (issue 6 `gatehouse doctor`): the signature, every
 * hash recomputed from the bytes, every module an entry imports listed with a hash, origins on the allow-list,
 * auth rules present and consistent, shared singletons (React, the Gatehouse runtime) at one compatible version
 * across shell and remotes, https in production. A Module Federation container's `mf-manifest.json` (its
 * entry, or beside its `remoteEntry.js`) is read too: every chunk it lists must be pinned, its singletons'
 * ranges agree with the others', and what it names on other origins (nested remotes, a publicPath) be allowed.
 *
 * @example
 * const report = await doctor({ manifest: 'dist/manifest.json', allowedOrigins: ['https://cdn.example'] });
 */
// long-function: one pass over the manifest that records into `problems`; not split while doctor's checks are
// being added on another branch (one change at a time, no merge conflict).
export async function doctor(options: DoctorOptions): Promise<DoctorReport> {
  const problems: DoctorProblem[] = [];
  const remotesSeen: Array<{ name: string; version: string; modules: number }> = [];
  let document: unknown;
  try {
    document = options.publicKey
      ? readSignedManifest({ file: options.manifest, publicKey: options.publicKey })
      : JSON.parse(await readFile(options.manifest, 'utf8'));
  } catch (error) {
    problems.push({
      remote: 'manifest',
      check: options.publicKey ? 'signature' : 'shape',
      message: (error as Error).message,
    });
    return { ok: false, remotes: [], problems };
  }
  const container = document as { shell?: Remote; remotes?: unknown };
  const remotes = (
    Array.isArray(document) ? document : Array.isArray(container?.remotes) ? container.remotes : undefined
  ) as Remote[] | undefined;
  if (!remotes) {
    problems.push({
      remote: 'manifest',
      check: 'shape',
      message: 'expected an array of remotes or { remotes: [...] }',
    });
    return { ok: false, remotes: [], problems };
  }
  const allowed = new Set(options.allowedOrigins);
  if (allowed.size === 0)
    problems.push({
      remote: 'manifest',
      check: 'origin',
      message: 'no allowed origin given (--allowed-origin)',
    });
  const roots = options.roots ?? {};
  const shared = new Map<string, Array<{ remote: string; range: string }>>();
  const names = new Set<string>();

  const record = (remote: string, check: DoctorProblem['check'], message: string) =>
    problems.push({ remote, check, message });
  const absolute = (url: string) => {
    try {
      return new URL(url, options.base).href;
    } catch {
      return url;
    }
  };
  const checkUrl = (remote: string, url: string) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      record(remote, 'shape', `${url} is not an absolute URL`);
      return false;
    }
    if (!allowed.has(parsed.origin)) record(remote, 'origin', `${url} is not on an allowed origin`);
    if (options.production && parsed.protocol !== 'https:')
      record(remote, 'https', `${url} is not served over https`);
    return true;
  };

  // A Module Federation container: its mf-manifest.json's chunks must all be pinned, its shared singletons
  // agree with everyone's, and whatever it names elsewhere be on an allowed origin.
  const checkFederation = async (name: string, entry: string, modules: Map<string, string>) => {
    const url = mfManifestUrl(absolute(entry));
    if (!url) return;
    let mf: MfManifest;
    try {
      mf = JSON.parse((await bytesOf(url, roots)).toString('utf8')) as MfManifest;
    } catch (error) {
      // Beside a remoteEntry.js it is optional; as the entry it is not.
      if (url === absolute(entry)) record(name, 'shape', `cannot read ${url}: ${(error as Error).message}`);
      return;
    }
    const found = checkMfManifest(mf, url);
    for (const file of found.files) {
      checkUrl(name, file);
      if (!modules.has(file))
        record(name, 'unlisted-module', `mf-manifest.json lists ${file}, which has no hash in the manifest`);
    }
    for (const foreign of found.foreign) checkUrl(name, foreign);
    for (const [dependency, range] of Object.entries(found.singletons)) {
      const list = shared.get(dependency) ?? [];
      list.push({ remote: `${name}`, range });
      shared.set(dependency, list);
    }
  };

  const entries: Array<[string, Remote]> = remotes.map((remote, index) => [
    typeof remote?.name === 'string' ? remote.name : `#${index}`,
    remote,
  ]);
  if (container?.shell && typeof container.shell === 'object') entries.push(['shell', container.shell]);
  for (const [name, remote] of entries) {
    if (name !== 'shell') {
      if (names.has(name)) record(name, 'shape', 'the name is used twice');
      names.add(name);
    }
    if (typeof remote.version !== 'string' || !remote.version) record(name, 'shape', 'no version');
    for (const [dependency, range] of Object.entries((remote.shared as Record<string, unknown>) ?? {})) {
      if (typeof range !== 'string') continue;
      const list = shared.get(dependency) ?? [];
      list.push({ remote: name, range });
      shared.set(dependency, list);
    }
    if (name === 'shell' && typeof remote.entry !== 'string') continue;
    if (name !== 'shell') {
      if (!['public', 'optional', 'required'].includes(remote.auth as string))
        record(name, 'auth', 'no auth rule (public, optional or required)');
      const guarded =
        (Array.isArray(remote.roles) && remote.roles.length > 0) ||
        (Array.isArray(remote.permissions) && remote.permissions.length > 0);
      if (guarded && remote.auth !== 'required')
        record(name, 'auth', 'roles or permissions need auth "required"');
    }
    if (
      typeof remote.entry !== 'string' ||
      typeof remote.integrity !== 'string' ||
      !SRI.test(remote.integrity)
    ) {
      record(name, 'shape', 'entry and a sha384 integrity are required');
      continue;
    }
    const modules = new Map<string, string>([[absolute(remote.entry), remote.integrity]]);
    for (const [url, hash] of Object.entries((remote.modules as Record<string, unknown>) ?? {})) {
      if (typeof hash !== 'string' || !SRI.test(hash)) record(name, 'integrity', `${url} has no sha384 hash`);
      else modules.set(absolute(url), hash);
    }
    if (name !== 'shell') await checkFederation(name, remote.entry, modules);
    remotesSeen.push({ name, version: String(remote.version), modules: modules.size });
    for (const [url, expected] of modules) {
      if (!checkUrl(name, url)) continue;
      let bytes: Buffer;
      try {
        bytes = await bytesOf(url, roots);
      } catch (error) {
        record(name, 'integrity', `cannot read ${url}: ${(error as Error).message}`);
        continue;
      }
      if (sri(bytes) !== expected)
        record(name, 'integrity', `${url} does not match its hash (rebuilt or tampered)`);
      for (const match of bytes.toString('utf8').matchAll(IMPORTS)) {
        const specifier = match[1] ?? match[2] ?? '';
        if (!specifier.startsWith('.') && !specifier.startsWith('/') && !/^https?:/.test(specifier)) continue;
        const target = new URL(specifier, url).href;
        if (!modules.has(target))
          record(name, 'unlisted-module', `${url} imports ${target}, which has no hash in the manifest`);
      }
    }
  }

  for (const dependency of options.singletons ?? DEFAULT_SINGLETONS) {
    const ranges = shared.get(dependency) ?? [];
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const a = ranges[i] as { remote: string; range: string };
        const b = ranges[j] as { remote: string; range: string };
        let compatible = false;
        try {
          compatible = semver.intersects(a.range, b.range);
        } catch {
          compatible = a.range === b.range;
        }
        if (!compatible) {
          record(
            b.remote,
            'shared',
            `${dependency} ${b.range} conflicts with ${a.remote}'s ${a.range}: a singleton needs one version`,
          );
        }
      }
    }
  }
  return { ok: problems.length === 0, remotes: remotesSeen, problems };
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
  lines.push(report.ok ? 'No problems found.' : `${report.problems.length} problem(s) found.`);
  return `${lines.join('\n')}\n`;
}
