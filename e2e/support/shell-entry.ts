// The shell page's script in the e2e tests: the real shell runtime, bundled (see shell-bundle.ts), with no
// remotes; the test reads its auth state, and every state it went through, through `window.gatehouseE2e`.
import { createShell } from '@gatehouse/shell';

const shell = createShell({
  outlet: document.getElementById('outlet') as HTMLElement,
  remotes: [],
  allowedOrigins: [],
  routes: [],
  telemetry: false,
});
const changes: string[] = [];
shell.auth.subscribe((state) => changes.push(state.status));
Object.defineProperty(window, 'gatehouseE2e', {
  value: { state: () => shell.auth.getState(), changes, started: shell.start() },
});
