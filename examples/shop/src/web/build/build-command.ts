#!/usr/bin/env node
// The shop's web build as a command, saying what it does: `npm start` runs it from the sources beside the
// server's own start (examples/shop/src/start.ts), `npm run build` from dist/ after tsc (examples/shop/build.mjs).
// Incremental (only the parts whose sources changed are rebuilt); `--force` rebuilds everything; `--offline`
// (what `npm run build` passes) builds each remote in its own process with no network.
import { buildWeb } from './build-web.js';

const log = (line: string) => console.log(`  web: ${line}`);
try {
  const manifest = await buildWeb({
    force: process.argv.includes('--force'),
    offline: process.argv.includes('--offline'),
    log,
  });
  log(
    `the shell and ${manifest.remotes.length} remotes are ready, pinned by integrity and signed ` +
      `(${process.uptime().toFixed(1)} s)`,
  );
} catch (error) {
  console.error(`  web: the build failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
}
