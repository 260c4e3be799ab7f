// The shell page's script in the bench's Chromium figures: the real @gatehouse/shell runtime, configured by the
// page (a JSON script the BFF's renderPage writes), instrumented with timestamps:
// - `authKnownAt`: when the runtime's auth state first leaves `loading` (ms since navigation start);
// - `mountedAt`: when the first remote finished `mount` (the remote calls `__benchMounted`);
// - every auth state change, reported with its wall-clock time (ms since the epoch, comparable across tabs)
//   to the bench through `benchReport` (a Playwright binding) and kept in `__bench.log`.
import { createShell } from '@gatehouse/shell';
import type { BenchEntry, BenchPage } from './window.js';

/** The page's configuration (browser/suite.ts `pageConfig`). */
interface PageConfig {
  readonly remotes: readonly unknown[];
  readonly allowedOrigins: readonly string[];
  readonly routes: ReadonlyArray<{ path: string; remote: string; auth?: 'required' }>;
}

const appStartedAt = performance.now();
const epoch = () => performance.timeOrigin + performance.now();
const bench: BenchPage = { log: [], appStartedAt, authKnownAt: undefined, mountedAt: undefined };
window.__bench = bench;
const report = (type: string, extra: Partial<BenchEntry> = {}) => {
  const entry: BenchEntry = { type, at: epoch(), t: performance.now(), ...extra };
  bench.log.push(entry);
  window.benchReport?.(entry);
};
window.__benchMounted = () => {
  if (bench.mountedAt !== undefined) return;
  bench.mountedAt = performance.now();
  report('mounted');
};

const config = JSON.parse(document.getElementById('bench-config')?.textContent ?? '{}') as PageConfig;
const outlet = document.getElementById('outlet');
if (!outlet) throw new Error('the page has no #outlet');
const shell = createShell({
  outlet,
  remotes: config.remotes,
  allowedOrigins: config.allowedOrigins,
  routes: config.routes,
  version: 'bench',
});
shell.auth.subscribe((state) => {
  if (state.status !== 'loading' && bench.authKnownAt === undefined) {
    bench.authKnownAt = performance.now();
    report('auth-known', { status: state.status });
  }
  report(`state:${state.status}`, state.status === 'logged-out' ? { reason: state.reason } : {});
});
bench.logout = () => {
  report('logout-called');
  return shell.logout();
};
bench.started = shell.start().then(
  () => report('started'),
  (error: unknown) => report('start-failed', { error: String(error) }),
);
