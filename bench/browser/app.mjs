// The shell page's script in the bench's Chromium figures: the real @gatehouse/shell runtime, configured by the
// page (a JSON script the BFF's renderPage writes), instrumented with timestamps:
// - `authKnownAt`: when the runtime's auth state first leaves `loading` (ms since navigation start);
// - `mountedAt`: when the first remote finished `mount` (the remote calls `__benchMounted`);
// - every auth state change, reported with its wall-clock time (ms since the epoch, comparable across tabs)
//   to the bench through `benchReport` (a Playwright binding) and kept in `__bench.log`.
import { createShell } from '@gatehouse/shell';

const appStartedAt = performance.now();
const epoch = () => performance.timeOrigin + performance.now();
const bench = { log: [], appStartedAt, authKnownAt: undefined, mountedAt: undefined };
window.__bench = bench;
const report = (type, extra = {}) => {
  const entry = { type, at: epoch(), t: performance.now(), ...extra };
  bench.log.push(entry);
  window.benchReport?.(entry);
};
window.__benchMounted = () => {
  if (bench.mountedAt !== undefined) return;
  bench.mountedAt = performance.now();
  report('mounted');
};

const config = JSON.parse(document.getElementById('bench-config').textContent);
const shell = createShell({
  outlet: document.getElementById('outlet'),
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
  (error) => report('start-failed', { error: String(error) }),
);
