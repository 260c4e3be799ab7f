// `npm test`: typecheck, lint and every test; the last line is `N passed, N failed` for the whole suite
// (typecheck and lint count as one check each). Extra arguments go to vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0;

let passed = 0;
let failed = 0;
let skipped = 0;
const extra = process.argv.slice(2);

if (extra.length === 0) {
  for (const [name, ok] of [
    ['typecheck', run(process.execPath, ['scripts/typecheck.mjs'])],
    ['lint', run(bin('biome'), ['check', '.'])],
  ]) {
    if (ok) passed++;
    else {
      failed++;
      console.log(`check failed: ${name}`);
    }
  }
}

const results = `${root}.test-results`;
mkdirSync(results, { recursive: true });
const report = `${results}/vitest.json`;
rmSync(report, { force: true });
const vitestOk = run(bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extra,
]);
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  skipped += json.numPendingTests + json.numTodoTests;
  // A file that fails to load has no tests to count: count it as one failure.
  for (const file of json.testResults)
    if (file.status === 'failed' && file.assertionResults.length === 0) failed++;
} else if (!vitestOk) {
  failed++;
}
if (!vitestOk && failed === 0) failed++;
if (skipped)
  console.log(
    `${skipped} skipped` +
      (process.env.GATEHOUSE_REQUIRE_SERVICES === '1'
        ? ''
        : ': tests whose service is missing (GATEHOUSE_REQUIRE_SERVICES=1 makes those fail)'),
  );
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
