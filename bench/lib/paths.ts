// Where the bench's files are: its folder, its scratch folder (bench/.tmp, not committed) and the repository.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bench folder, with a trailing slash. */
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
/** The repository's root, with a trailing slash. */
export const ROOT_DIR = fileURLToPath(new URL('../../', import.meta.url));
/** Scratch space of a run: compiled child processes, profiles, private Redis data, browser assets. */
export const TMP_DIR = join(BENCH_DIR, '.tmp');

/** An absolute path under bench/, e.g. `benchPath('servers/bff.ts')`. */
export const benchPath = (path: string): string => join(BENCH_DIR, path);
