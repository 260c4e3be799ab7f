// Where a run's reports go. Every run writes them to `.bench-results/` at the repository's root (not committed,
// git-ignored), so running a benchmark never leaves the working tree dirty; `--record` also writes the
// committed record under bench/ (results.md, load.md, size.md), on purpose.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BENCH_DIR, ROOT_DIR } from './paths.js';

/** The folder every run writes its reports to. */
export const RESULTS_DIR = join(ROOT_DIR, '.bench-results');

/**
 * Writes `text` to `.bench-results/<name>` and, when `record` is set, to `bench/<name>`; answers the paths
 * written, relative to the repository's root.
 */
export function writeReport(name: string, text: string, record: boolean): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const paths = [join(RESULTS_DIR, name), ...(record ? [join(BENCH_DIR, name)] : [])];
  for (const path of paths) writeFileSync(path, text);
  return paths.map((path) => relative(ROOT_DIR, path));
}
