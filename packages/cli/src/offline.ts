// `gatehouse build-offline`: runs a remote's build with no network (a Linux network namespace holding only an
// unconfigured loopback), after its dependencies are installed. Whatever the build tries to reach is named.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';

/**
 * How the network is cut: `netns` (`unshare -n`, as root), `user-netns` (`unshare -rn`, a user namespace
 * for a non-root user where the kernel allows it) or `none` (neither works: the build runs with the network,
 * with a warning, and any attempt the build makes is still seen and fails it).
 */
export type SandboxMode = 'netns' | 'user-netns' | 'none';

/** What {@link runOffline} runs. */
export interface OfflineBuild {
  /** The remote being built: every message names it. */
  readonly name: string;
  /** The build command and its arguments: `['npm', 'run', 'build']`. */
  readonly command: readonly [string, ...string[]];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Default: the best {@link sandboxMode} this machine offers. */
  readonly sandbox?: SandboxMode;
  /** Lines about the sandbox (the warning when there is none); default stderr. */
  readonly log?: (line: string) => void;
  /** The build's own output; default: passed through to this process's stdout and stderr. */
  readonly output?: (chunk: string) => void;
}

/** What a build that passed did. */
export interface OfflineResult {
  readonly sandbox: SandboxMode;
  /** Everything the build printed. */
  readonly output: string;
}

/** Something the build tried to reach, as the preload saw it or as its error output names it. */
export interface NetworkAttempt {
  /** `fetch`, `http`, `lookup`, `connect` (the preload) or `output` (read from an error message). */
  readonly kind: string;
  /** The host (`registry.npmjs.org`, `10.0.0.7:443`). */
  readonly host: string;
  /** The URL or address as seen. */
  readonly target: string;
}

// Loaded into every Node process of the build (NODE_OPTIONS --import): it observes, through Node's
// diagnostics channels and the socket's own events, every request and connection the build starts, and
// appends each to the report file. It changes nothing: the namespace is what cuts the network.
const PRELOAD = `import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
const file = process.env.GATEHOUSE_OFFLINE_REPORT;
const note = (kind, target) => {
  try { appendFileSync(file, JSON.stringify({ kind, target: String(target) }) + '\\n'); } catch {}
};
subscribe('undici:request:create', ({ request }) => note('fetch', request.origin + request.path));
subscribe('http.client.request.start', ({ request }) => note('http', request.protocol + '//' + request.host + request.path));
subscribe('net.client.socket', ({ socket }) => {
  socket.once('lookup', (error, address, family, host) => note('lookup', host));
  // A TCP address only: a Unix socket (a path, no port) is local, not network.
  socket.once('error', (error) => { if (error.address && error.port) note('connect', error.address + ':' + error.port); });
});
`;

// What error messages name when the preload could not be loaded (a build that is not Node).
const OUTPUT_PATTERNS = [
  /getaddrinfo (?:EAI_AGAIN|ENOTFOUND) ([^\s'")]+)/g,
  /connect (?:ENETUNREACH|ECONNREFUSED|EHOSTUNREACH) ([[\]\w.:-]+)/g,
  /Could not resolve host:? ([^\s'")]+)/g,
];

let detected: SandboxMode | undefined;

/**
 * The best way this machine offers to cut a build's network: `unshare -n` when it works (root), else
 * `unshare -rn` (a user namespace), else `none`. Tried once per process (`unshare … true`).
 *
 * @example
 * sandboxMode() // 'netns' as root on Linux with util-linux
 */
export function sandboxMode(): SandboxMode {
  if (detected) return detected;
  const works = (args: string[]) => {
    const result = spawnSync('unshare', [...args, 'true'], { stdio: 'ignore', timeout: 10_000 });
    return !result.error && result.status === 0;
  };
  detected = works(['-n']) ? 'netns' : works(['-rn']) ? 'user-netns' : 'none';
  return detected;
}

const hostOf = (target: string): string => {
  try {
    return new URL(target).host;
  } catch {
    return target;
  }
};

/** The attempts in the preload's report file and in the build's output, one per target. */
export function networkAttempts(report: string, output: string): NetworkAttempt[] {
  const seen = new Map<string, NetworkAttempt>();
  const add = (kind: string, target: string) => {
    const host = hostOf(target);
    if (![...seen.values()].some((attempt) => attempt.host === host))
      seen.set(target, { kind, host, target });
  };
  for (const line of report.split('\n')) {
    if (!line.trim()) continue;
    try {
      const { kind, target } = JSON.parse(line) as { kind: string; target: string };
      add(kind, target);
    } catch {
      // a line cut short by the build's exit
    }
  }
  for (const pattern of OUTPUT_PATTERNS)
    for (const match of output.matchAll(pattern)) add('output', match[1] as string);
  return [...seen.values()];
}

/** The argv that runs `command` in `mode`. */
export function sandboxedCommand(mode: SandboxMode, command: readonly string[]): string[] {
  if (mode === 'netns') return ['unshare', '-n', '--', ...command];
  if (mode === 'user-netns') return ['unshare', '-rn', '--', ...command];
  return [...command];
}

/**
 * Runs one remote's build with the network cut and fails it, naming the remote and the host, when the build
 * tried to reach anything — even when the build itself caught the error and went on. Throws a `CliError`
 * (`GH_CLI_BUILD_NETWORK`, or `GH_CLI_BUILD_FAILED` for a build that failed otherwise).
 *
 * @example
 * await runOffline({ name: 'orders', command: ['npm', 'run', 'build'], cwd: 'remotes/orders' });
 */
export async function runOffline(build: OfflineBuild): Promise<OfflineResult> {
  const sandbox = build.sandbox ?? sandboxMode();
  const log = build.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (sandbox === 'none')
    log(
      `gatehouse: WARNING: ${build.name} is built WITH network: neither \`unshare -n\` (root) nor \`unshare -rn\` ` +
        '(user namespaces) works here. Network attempts are still detected and fail the build.',
    );
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-offline-'));
  const preload = join(dir, 'preload.mjs');
  const report = join(dir, 'attempts.jsonl');
  writeFileSync(preload, PRELOAD);
  writeFileSync(report, '');
  try {
    const env = {
      ...process.env,
      ...build.env,
      GATEHOUSE_OFFLINE_REPORT: report,
      NODE_OPTIONS: `${build.env?.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    };
    const { code, output } = await spawnBuild(sandboxedCommand(sandbox, build.command), build, env);
    const attempts = networkAttempts(readFileSync(report, 'utf8'), output);
    if (attempts.length)
      throw new CliError(
        `${build.name}: the build tried to reach ${attempts.map((a) => `${a.host} (${a.target})`).join(', ')}; ` +
          `remote builds run without network${sandbox === 'none' ? ' (here it was not cut, see the warning above)' : ''}: ` +
          'install dependencies before the build and move any download out of it [GH_CLI_BUILD_NETWORK]',
        { code: 'GH_CLI_BUILD_NETWORK' },
      );
    if (code !== 0)
      throw new CliError(`${build.name}: the build failed (exit code ${code}) [GH_CLI_BUILD_FAILED]`, {
        code: 'GH_CLI_BUILD_FAILED',
      });
    return { sandbox, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnBuild(
  argv: string[],
  build: OfflineBuild,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const write =
    build.output ??
    ((chunk: string) => {
      process.stdout.write(chunk);
    });
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: build.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      write(chunk.toString('utf8'));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) =>
      reject(
        new CliError(`${build.name}: cannot run ${argv[0]}: ${error.message} [GH_CLI_BUILD_FAILED]`, {
          code: 'GH_CLI_BUILD_FAILED',
        }),
      ),
    );
    child.once('close', (code) => resolve({ code, output }));
  });
}
