import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder, ending in a separator. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Every file of the repository, as repo-relative POSIX paths: the tracked ones and the untracked ones git
 * does not ignore (a new page is checked before it is added), without those deleted from the work tree.
 *
 * @example
 * repoFiles().filter((file) => file.endsWith('.md'))
 */
export function repoFiles(root: string = repoRoot): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = new Set(listed.split('\0').filter(Boolean));
  return [...files].filter((file) => existsSync(join(root, file))).sort();
}

/** Every folder that holds a file of `files` (`docs`, `docs/test`…), the root as `''`. */
export function foldersOf(files: readonly string[]): Set<string> {
  const folders = new Set<string>(['']);
  for (const file of files) {
    for (let folder = posix.dirname(file); folder !== '.'; folder = posix.dirname(folder))
      folders.add(folder);
  }
  return folders;
}

/** The text of a repository file, or `undefined` when it is binary (it holds a NUL byte). */
export function readText(file: string, root: string = repoRoot): string | undefined {
  const bytes = readFileSync(join(root, file));
  if (bytes.subarray(0, 8192).includes(0)) return undefined;
  return bytes.toString('utf8');
}

/** The folder of a repo-relative file, `''` for the root. */
export function folderOf(file: string): string {
  const folder = posix.dirname(file);
  return folder === '.' ? '' : folder;
}
