// Lists the workspace folders that hold a TypeScript project, in a stable order.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function projectDirs(root, file) {
  const dirs = [];
  for (const group of ['packages', 'examples']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      if (existsSync(join(dir, file))) dirs.push(dir);
      // An example's browser code has its own project (DOM types, no Node types): examples/<name>/web.
      if (group === 'examples' && existsSync(join(dir, 'web', file))) dirs.push(join(dir, 'web'));
    }
  }
  // Root-level projects are typechecked too: the browser end-to-end tests, the benchmarks and the docs' tests.
  for (const name of ['e2e', 'bench', 'docs']) {
    const dir = join(root, name);
    if (existsSync(join(dir, file))) dirs.push(dir);
  }
  return dirs;
}
