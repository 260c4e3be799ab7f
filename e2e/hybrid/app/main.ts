// A page the WebKitGTK host can ship itself (GATEHOUSE_APP_FILES): the shell runtime on the bridge with no UI,
// for the hybrid bench (bench/hybrid/suite.ts), which times `shell.api` calls with nothing else on the page.
// The end-to-end tests show the shop's own React shell instead (docs/hybrid-apps.md). Remotes would get
// `shell.api`: the same client, over the bridge.
import { createShell } from '@gatehouse/shell';
import { startNativeBridge } from '@gatehouse/shell/native';

const bridge = await startNativeBridge();
if (!bridge) throw new Error('no native host');
const outlet = document.createElement('main');
document.body.append(outlet);
const shell = createShell({
  outlet,
  remotes: [],
  allowedOrigins: [],
  fetch: bridge.fetch,
  push: false,
  telemetry: false,
});
// What a remote keeps while signed in (its "state"), cleared when the shell says the session ended.
const remoteState: { orders: unknown[] } = { orders: [] };
shell.auth.subscribe((state) => {
  if (state.status !== 'authenticated') remoteState.orders = [];
});
// The test's handle on the app, not enumerable (the leak scan lists enumerable globals too).
Object.defineProperty(window, 'hybridApp', { value: { shell, remoteState }, enumerable: false });
await shell.start();
document.title = `ready ${shell.auth.getState().status}`;
