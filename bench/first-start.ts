// What a newcomer waits for: `npm ci && npm start` on a fresh clone, until the shop answers.
//
//   npx tsx bench/first-start.ts [--record] [--keep] [--quiet-wait S]
//
// Clones this repository's HEAD (committed work only) into a temporary folder, runs `npm ci`, then `npm start`
// until http://localhost:4000 serves the shop's page and http://localhost:4001 the dev IdP's discovery; stops
// it as Ctrl-C does (SIGINT to its process group) and starts it again (the warm start). Every step is timed,
// from the clone's own progress lines. The first start runs with an empty temporary folder (TMPDIR), so tsx's
// compile cache is as cold as on a new machine; npm's download cache is whatever this machine has. Before each
// phase it waits (up to --quiet-wait seconds, default 60) for other processes to settle, and it reports the
// cores they used meanwhile and the CPU time the phase itself used, which other work inflates far less than
// the wall-clock figures. Prints a table and writes it to .bench-results/first-start.md (not committed);
// `--record` also writes bench/first-start.md. `--keep` leaves the clone in place.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine } from './lib/machine.js';
import { MachineLoad } from './lib/machine-load.js';
import { writeReport } from './lib/output.js';
import { ROOT_DIR } from './lib/paths.js';

const root = ROOT_DIR;
const record = process.argv.includes('--record');
const keep = process.argv.includes('--keep');
const quietFlag = process.argv.indexOf('--quiet-wait');
const quietWaitS = quietFlag > 0 ? Number(process.argv[quietFlag + 1]) : 60;
const SHOP = 'http://localhost:4000/';
const IDP = 'http://localhost:4001/.well-known/openid-configuration';
/** The progress lines of `npm start` (examples/shop/src/start.ts) that mark the end of a step. */
const MARKS = [
  ['first line printed', /^Starting the Gatehouse shop/m],
  ['code loaded (tsx)', /^ {2}code loaded/m],
  ['web build ready (Vite, signed)', /^ {2}web: the shell and \d+ remotes are ready/m],
  ['database ready (PGlite)', /^ {2}database ready/m],
  ['servers listening', /^ {2}all listening/m],
] as const;
const TIMEOUT_MS = 300_000;

const cpuSeconds = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(1)} s`);
const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
const log = (line: string) => console.log(`first-start: ${line}`);

/** Status of a GET (the page asked for as a browser navigation), or undefined when nothing answers. */
function status(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        headers: {
          accept: 'text/html',
          'sec-fetch-mode': 'navigate',
          'sec-fetch-site': 'none',
          'sec-fetch-dest': 'document',
        },
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Runs a command to its end, timed; answers its time and what it printed (shown when it fails). */
function timed(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv) {
  const started = performance.now();
  const child = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: TIMEOUT_MS });
  const output = `${child.stdout ?? ''}${child.stderr ?? ''}`;
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${output}`);
  return { ms: performance.now() - started, output, stdout: child.stdout ?? '' };
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU seconds (user + system) a process group has used so far: its live members' own and that of the
 * children they have reaped (Linux /proc). A figure the machine's other work does not inflate much, unlike
 * the wall-clock ones.
 */
function groupCpu(pgid: number | undefined): number | undefined {
  if (!pgid || !existsSync('/proc/self/stat')) return undefined;
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // After "pid (comm) ": state, ppid, pgrp, …; utime, stime, cutime, cstime are fields 14-17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid)
      ticks += fields.slice(11, 15).reduce((sum, value) => sum + Number(value), 0);
  }
  return ticks / TICKS;
}

/** One `npm start`: when each step ended and when the shop and the IdP first answered (ms after launch). */
interface StartRun {
  readonly marks: Record<string, number | undefined>;
  readonly shop: number;
  readonly idp: number;
  /** CPU seconds of the whole `npm start` process group when the shop answered. */
  readonly cpu: number | undefined;
  readonly stopped: number;
  readonly output: string;
}

/** True once the process has ended, by itself or by a signal (npm ends by the SIGINT it gets). */
const ended = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Waits for `check` to hold, polling; throws with the output when the process ends or time runs out. */
async function until(child: ChildProcess, output: () => string, check: () => Promise<boolean>) {
  for (const deadline = Date.now() + TIMEOUT_MS; !(await check()); ) {
    if (ended(child) || Date.now() > deadline) throw new Error(`npm start did not get there:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Signals the child's whole process group, as a terminal's Ctrl-C does (it may have ended already). */
function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, name);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Starts the shop in the clone, as a terminal would (own process group), times it, stops it with SIGINT. */
async function startOnce(cwd: string, env: NodeJS.ProcessEnv): Promise<StartRun> {
  const launched = performance.now();
  const child = spawn('npm', ['start'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const marks: Record<string, number | undefined> = {};
  let output = '';
  const read = (chunk: Buffer) => {
    output += chunk;
    for (const [name, pattern] of MARKS)
      if (marks[name] === undefined && pattern.test(output)) marks[name] = performance.now() - launched;
  };
  child.stdout?.on('data', read);
  child.stderr?.on('data', read);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const answered: { shop?: number; idp?: number; cpu?: number } = {};
  try {
    await until(
      child,
      () => output,
      async () => {
        const [shop, idp] = await Promise.all([
          answered.shop === undefined ? status(SHOP) : 200,
          answered.idp === undefined ? status(IDP) : 200,
        ]);
        if (shop === 200) answered.shop ??= performance.now() - launched;
        if (idp === 200) answered.idp ??= performance.now() - launched;
        const done = answered.shop !== undefined && answered.idp !== undefined;
        if (done) answered.cpu = groupCpu(child.pid);
        return done;
      },
    );
  } finally {
    if (!ended(child)) signal(child, 'SIGINT');
  }
  const stopping = performance.now();
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  const stopped = performance.now() - stopping;
  if (!ended(child) || (await status(SHOP)) !== undefined || (await status(IDP)) !== undefined) {
    signal(child, 'SIGKILL');
    throw new Error(`Ctrl-C did not stop everything:\n${output}`);
  }
  return { marks, shop: answered.shop!, idp: answered.idp!, cpu: answered.cpu, stopped, output };
}

/** What one run measured. */
interface Figures {
  readonly head: string;
  readonly cloneMs: number;
  readonly ci: { readonly ms: number; readonly cpu: number | undefined; readonly badEngines: string[] };
  readonly first: StartRun;
  readonly second: StartRun;
  /** Cores other processes used during npm ci, the first start and the second start. */
  readonly other: readonly (number | undefined)[];
}

/** CPU seconds of `npm ci` and all it ran, from `times` (POSIX sh) run after it: its children's line. */
function ciCpuSeconds(stdout: string): number | undefined {
  const match = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stdout);
  return match
    ? Number(match[1]) * 60 + Number(match[2]) + Number(match[3]) * 60 + Number(match[4])
    : undefined;
}

/** Clones HEAD into `work`, runs npm ci, then npm start twice; waits for a quiet machine before each. */
async function measure(work: string): Promise<Figures> {
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const clone = join(work, 'gatehouse');
  const tmp = join(work, 'tmp');
  mkdirSync(tmp);
  // A cold tsx cache (it lives under TMPDIR), as on a machine that never ran the shop.
  const env = { ...process.env, TMPDIR: tmp, GATEHOUSE_SHOP_DATA_DIR: '', DATABASE_URL: '' };
  const load = new MachineLoad(quietWaitS, log);
  const phase = async <T>(run: () => Promise<T> | T): Promise<[T, number | undefined]> => {
    await load.waitForQuiet();
    const other = load.meter();
    const result = await run();
    return [result, other()];
  };
  log(`cloning ${head.slice(0, 12)} into ${clone}`);
  const cloneMs = timed(work, 'git', ['clone', '--quiet', '--no-local', root, clone], env).ms;
  execFileSync('git', ['checkout', '--quiet', '--detach', head], { cwd: clone });
  log('npm ci');
  const [ci, ciOther] = await phase(() =>
    timed(clone, 'sh', ['-c', 'npm ci --no-audit --no-fund && times'], env),
  );
  log(`npm ci: ${seconds(ci.ms)}; npm start (first)`);
  const [first, firstOther] = await phase(() => startOnce(clone, env));
  log(`the shop answered ${seconds(first.shop)} after npm start; npm start again (warm)`);
  const [second, secondOther] = await phase(() => startOnce(clone, env));
  log(`the shop answered ${seconds(second.shop)} after npm start`);
  return {
    head,
    cloneMs,
    ci: {
      ms: ci.ms,
      cpu: ciCpuSeconds(ci.stdout),
      badEngines: [...ci.output.matchAll(/EBADENGINE +package: '([^']+)'/g)].map((match) => match[1]!),
    },
    first,
    second,
    other: [ciOther, firstOther, secondOther],
  };
}

/** The report: the machine, then one row per step. */
function report(figures: Figures): string {
  const { ci, first, second, other } = figures;
  const cores = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
  const rows: (readonly [string, string, string])[] = [
    ['`npm ci`', seconds(ci.ms), '—'],
    ...MARKS.map(
      ([name]) => [`npm start: ${name}`, seconds(first.marks[name]), seconds(second.marks[name])] as const,
    ),
    ['npm start: the shop answers (`:4000`, HTTP 200)', seconds(first.shop), seconds(second.shop)],
    ['npm start: the dev IdP answers (`:4001` discovery)', seconds(first.idp), seconds(second.idp)],
    ['**`npm ci && npm start` until the shop answers**', `**${seconds(ci.ms + first.shop)}**`, '—'],
    ['Ctrl-C until everything stopped', seconds(first.stopped), seconds(second.stopped)],
    ['CPU time (user + system) of `npm ci`', cpuSeconds(ci.cpu), '—'],
    ['CPU time of `npm start` until the shop answers', cpuSeconds(first.cpu), cpuSeconds(second.cpu)],
    [
      'cores other processes used meanwhile',
      `${cores(other[0])} (npm ci), ${cores(other[1])} (npm start)`,
      cores(other[2]),
    ],
  ];
  const m = machine([], '');
  return `# First start

\`npx tsx bench/first-start.ts\`: a fresh clone of ${figures.head.slice(0, 12)}, \`npm ci\`, then \`npm start\` until
http://localhost:4000 serves the shop (goal: ≤ 30 s with \`npm ci\`, on two cores), then a second start.
Machine: ${m.cores} × ${m.cpu}, ${m.memory}, ${m.os}, Node.js ${m.node}; ${m.date.slice(0, 16)}Z.
Other work on the machine slows every wall-clock figure (the last row says how much there was), the CPU
times much less. The clone took ${seconds(figures.cloneMs)} (not counted); \`npm ci\` warned EBADENGINE for
${ci.badEngines.length ? ci.badEngines.join(', ') : 'no package'}.

| step (npm start rows: time since \`npm start\` was launched) | fresh clone | second start |
| --- | --- | --- |
${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}
`;
}

async function main(): Promise<void> {
  for (const url of [SHOP, IDP])
    if ((await status(url)) !== undefined)
      throw new Error(
        `${new URL(url).host} already answers: stop what runs there (another npm start?) first`,
      );
  if (execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }))
    log('uncommitted changes are not measured: the clone is of HEAD');
  const work = mkdtempSync(join(tmpdir(), 'gh-first-start-'));
  try {
    const text = report(await measure(work));
    console.log(`\n${text}`);
    log(`written to ${writeReport('first-start.md', text, record).join(' and ')}`);
  } finally {
    if (keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
