// Run by scripts/build.mjs after `tsc -b`: builds the shop's browser half (shell, shared modules, nine
// remotes), writes its manifest and signs it. Incremental: a part whose sources are older than its last
// build is skipped. `node build.mjs --force` rebuilds everything. `npm start` runs the same command from the
// TypeScript sources (src/web/build/build-command.ts).
import './dist/web/build/build-command.js';
