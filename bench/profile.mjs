// Prints the self-time summary of .cpuprofile files or of the folders holding them:
//   node bench/profile.mjs bench/.tmp/profiles/bff-memory [more files or folders…]
// `BENCH_PROFILE=1 npm run bench` writes one folder per BFF scenario under bench/.tmp/profiles/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary, summarize } from './lib/cpuprofile.mjs';

const files = process.argv.slice(2).flatMap((path) =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(path, name))
    : [path],
);
if (files.length === 0) {
  console.error('usage: node bench/profile.mjs <file.cpuprofile | folder>…');
  process.exit(2);
}
console.log(formatSummary(summarize(files), Number(process.env.TOP ?? 20)));
