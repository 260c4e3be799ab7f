// Typechecks every workspace (sources and tests) with its own tsconfig, two at a time.
import { spawn } from 'node:child_process';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectDirs } from './workspaces.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const queue = projectDirs(root, 'tsconfig.json');
let failed = 0;

function check(dir) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', dir, '--noEmit', '--pretty'], { stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) => {
      const name = relative(root, dir);
      if (code === 0) console.log(`typecheck ok   ${name}`);
      else {
        failed++;
        console.log(`typecheck FAIL ${name}\n${out}`);
      }
      resolve();
    });
  });
}

async function worker() {
  for (let dir = queue.shift(); dir; dir = queue.shift()) await check(dir);
}
await Promise.all([worker(), worker()]);
process.exit(failed ? 1 : 0);
