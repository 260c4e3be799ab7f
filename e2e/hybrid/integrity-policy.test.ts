import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeWith } from '@gatehouse/testing';
import { expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('./probe/integrity-policy.js', import.meta.url));

/**
 * Why the reference host does not pass the BFF's `Integrity-Policy` to its WebView (docs/hybrid-apps.md,
 * "Integrity-Policy in WebKit"), pinned on the WebKitGTK this machine has: under the policy, WebKit refuses a
 * statically imported module even when the import map gives its right hash; without it, it still checks
 * every import-map hash. If WebKit changes, this test says which half moved.
 */
await describeWith(['webkit'], 'WebKitGTK and module integrity', () => {
  it('checks import-map hashes without Integrity-Policy, and refuses static imports under it even with the right hash', async () => {
    const { stdout } = await promisify(execFile)('xvfb-run', ['-a', 'gjs', '-m', PROBE], { timeout: 60_000 });
    const titles = Object.fromEntries(
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { case: string; title: string })
        .map((seen) => [seen.case, seen.title]),
    );
    // What the host relies on once it drops the header: the map's hashes hold, static or dynamic.
    expect(titles['static import, right hash, no policy']).toBe('ok a');
    expect(titles['static import, wrong hash, no policy']).not.toBe('ok a');
    expect(titles['dynamic import, wrong hash, no policy']).not.toBe('ok a');
    expect(titles['dynamic import, right hash, policy']).toBe('ok a');
    // Why it drops it. When this starts to pass ('ok a'), WebKit sees the import map's hash: pass the header on.
    expect(
      titles['static import, right hash, policy'],
      'WebKit now loads a static import with the import map’s hash under Integrity-Policy: the host may pass the policy on again',
    ).not.toBe('ok a');
  }, 90_000);
});
