// Builds every package to dist/ (incremental: tsc -b skips what is up to date), then the examples.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectDirs } from './workspaces.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const projects = projectDirs(root, 'tsconfig.build.json').map((dir) => join(dir, 'tsconfig.build.json'));
const run = (args, cwd = root) => {
  const result = spawnSync(process.execPath, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run([tsc, '-b', ...projects]);
for (const dir of projectDirs(root, 'build.mjs')) {
  if (existsSync(join(dir, 'build.mjs'))) run([join(dir, 'build.mjs')], dir);
}
