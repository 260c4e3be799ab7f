// Prints the self-time summary of .cpuprofile files or of the folders holding them:
//   npx tsx bench/profile.ts bench/.tmp/profiles/bff-memory [more files or folders…]
// `BENCH_PROFILE=1 npm run bench` writes one folder per proxy scenario under bench/.tmp/profiles/.
import { statSync } from 'node:fs';
import { formatSummary, profilesIn, summarize } from './proxy/cpuprofile.js';

const files = process.argv
  .slice(2)
  .flatMap((path) => (statSync(path).isDirectory() ? profilesIn(path) : [path]));
if (files.length === 0) {
  console.error('usage: npx tsx bench/profile.ts <file.cpuprofile | folder>…');
  process.exit(2);
}
console.log(formatSummary(summarize(files), Number(process.env.TOP ?? 20)));
