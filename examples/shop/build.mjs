// Run by scripts/build.mjs after `tsc -b`: builds the shop's browser half (shell, shared modules, nine
// remotes) and writes its manifest. Incremental: a part whose sources are older than its last build is
// skipped. `node build.mjs --force` rebuilds everything.
import { buildWeb } from './dist/web/build/index.js';

const started = Date.now();
const manifest = await buildWeb({
  force: process.argv.includes('--force'),
  log: (line) => console.log(`shop web: ${line}`),
});
console.log(`shop web: ${manifest.remotes.length} remotes ready (${Date.now() - started} ms)`);
