// The shell page's script in the browser tests: the real runtime, configured by the page.
import { createShell, createTelemetry, type RouteDefinition, type Shell } from '@gatehouse/shell';
import { declareUpstreams } from '@gatehouse/shell/upstreams';

interface TestConfig {
  readonly remotes: unknown[];
  readonly allowedOrigins: string[];
  readonly routes: RouteDefinition[];
  readonly timeoutMs: number;
  readonly warnBeforeMs: number;
}
interface LogEntry {
  readonly type: string;
  readonly payload: unknown;
  /** Milliseconds since the epoch, comparable across pages of one machine. */
  readonly at: number;
}
declare global {
  interface Window {
    gatehouseTest: { shell: Shell; log: LogEntry[]; started: Promise<void> };
    /** Set by a test (Playwright exposeFunction) to hear the log across navigations. */
    gatehouseReport?: (entry: LogEntry) => void;
  }
}

const config = JSON.parse(document.getElementById('test-config')!.textContent!) as TestConfig;
const now = () => performance.timeOrigin + performance.now();
// Remotes that declare their upstreams are held to them (the others are not touched).
const telemetry = createTelemetry({ flushMs: 100 });
const upstreams = declareUpstreams(config.remotes, { track: telemetry.track });
const shell = createShell({
  outlet: document.getElementById('outlet')!,
  remotes: upstreams.remotes,
  loader: upstreams.loader,
  allowedOrigins: config.allowedOrigins,
  routes: config.routes,
  timeoutMs: config.timeoutMs,
  warnBeforeMs: config.warnBeforeMs,
  loginDelayMs: 300,
  version: 'test-shell',
  telemetry: { flushMs: 100 },
});
const log: LogEntry[] = [];
const push = log.push.bind(log);
log.push = (...entries: LogEntry[]) => {
  for (const entry of entries) void window.gatehouseReport?.(entry);
  return push(...entries);
};
const types = [
  'auth:logged-in',
  'auth:logged-out',
  'auth:session-expired',
  'auth:identity-changed',
  'auth:session-expiring',
  'cart:updated',
] as const;
for (const type of types) shell.events.on(type, (payload) => log.push({ type, payload, at: now() }));
shell.auth.subscribe((state) => log.push({ type: `state:${state.status}`, payload: null, at: now() }));
shell.mount('header', document.getElementById('header')!);
const started = shell.start().catch((error: unknown) => {
  log.push({ type: 'start-failed', payload: String(error), at: now() });
});
window.gatehouseTest = { shell, log, started };
