// What ran where, for the records: CPU, cores, memory, OS, Node, the commit (flagged when the measured
// packages have uncommitted changes) and the date.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { ROOT_DIR } from './paths.js';

/** The machine and the code a run measured. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly os: string;
  readonly node: string;
  /** The short commit, with a note when `measured` has uncommitted changes. */
  readonly commit: string;
  /** ISO 8601. */
  readonly date: string;
}

/**
 * Describes this machine and the commit. `measured` are the repository paths whose uncommitted changes would
 * make the figures not those of the commit; `what` names them in the note.
 */
export function machine(measured: readonly string[], what: string): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    commit: commit(measured, what),
    date: new Date().toISOString(),
  };
}

function commit(measured: readonly string[], what: string): string {
  try {
    let id = git(['rev-parse', '--short', 'HEAD']);
    if (git(['status', '--porcelain', '--', ...measured])) id += ` (with uncommitted changes in ${what})`;
    return id;
  } catch {
    return 'unknown'; // not a git checkout
  }
}

const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8' }).trim();
