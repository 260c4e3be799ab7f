// `npm run build`: compiles every package to dist/ (incremental: tsc -b skips what is up to date), as they are
// packed and published, then the examples' own builds (the shop's web build). `npm start` needs none of it: it
// runs the shop from the TypeScript sources. `--offline`: each remote is built in its own process inside a
// network namespace with nothing but loopback (`unshare -n` as root, `unshare -rn` otherwise; a warning when
// neither works): a build that tries to reach the network fails, naming the remote and the host.
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
console.log(
  `build: tsc -b over ${projects.length} packages to dist/ (incremental; a first build takes a minute or more on two cores)`,
);
const started = Date.now();
run([tsc, '-b', ...projects]);
console.log(`build: packages compiled (${((Date.now() - started) / 1000).toFixed(1)} s)`);
for (const dir of projectDirs(root, 'build.mjs')) {
  if (existsSync(join(dir, 'build.mjs'))) run([join(dir, 'build.mjs'), '--offline'], dir);
}
