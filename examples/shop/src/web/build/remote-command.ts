#!/usr/bin/env node
// Builds ONE remote of the shop (`remote-command <name>`) and writes its dist/manifest.json: what the offline
// web build (`npm run build`, `buildWeb({ offline: true })`) runs in a network namespace for each remote.
import { join } from 'node:path';
import { buildRemote, remoteNames, webRoot } from './build-web.js';

const name = process.argv[2] ?? '';
if (!remoteNames().includes(name)) {
  console.error(`  web: no remote "${name}" (the remotes: ${remoteNames().join(', ')})`);
  process.exitCode = 2;
} else {
  try {
    await buildRemote(join(webRoot, 'remotes', name));
  } catch (error) {
    console.error(`  web: ${name}: the build failed: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  }
}
