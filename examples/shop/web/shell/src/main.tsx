import { GatehouseProvider } from '@gatehouse/react';
import { createShell, createTelemetry } from '@gatehouse/shell';
import { relayRemotes, startNativeBridge } from '@gatehouse/shell/native';
import { declareUpstreams } from '@gatehouse/shell/upstreams';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { pageUserId, readPageConfig } from './config.js';
import { watchExpiry } from './expiry.js';
import { federation } from './federation.js';
import { shopView } from './views.js';

const config = readPageConfig();
// In a hybrid app's WebView (docs/hybrid-apps.md) the native host holds the session: the shell's calls and
// its push messages cross the host's bridge. In a browser there is no host and nothing changes.
const bridge = await startNativeBridge();
// There, the remotes the BFF serves behind the session (admin, org) are loaded from the app's own origin,
// where the host relays them to the BFF with the handle: the WebView has no session to fetch them with.
const remotes =
  bridge && config.origin
    ? relayRemotes(config.remotes, config.allowedOrigins, config.origin)
    : { manifests: config.remotes, allowedOrigins: config.allowedOrigins };
const outlet = document.createElement('div');
outlet.className = 'outlet';
// Each remote reaches only the upstreams its manifest declares (a mistake, such as the catalog remote calling
// billing, is refused before it leaves the page; the APIs' own checks remain the boundary).
const upstreams = declareUpstreams(remotes.manifests, { track: createTelemetry().track });
const shell = createShell({
  outlet,
  remotes: upstreams.remotes,
  allowedOrigins: remotes.allowedOrigins,
  routes: config.routes,
  version: config.version,
  view: shopView,
  ...(bridge ? { fetch: bridge.fetch, push: false as const } : {}),
  // The Module Federation containers (the wishlist), under the same rules: @gatehouse/federation.
  loader: (own, manifests) =>
    upstreams.loader(
      federation(config.federated ?? [], () => shell.auth.getState())(own, manifests),
      manifests,
    ),
});

// Before start(): a page opened inside the warning window is warned at once, before React renders.
const expiry = watchExpiry(shell.events);

// Test hook (web/README.md): an end-to-end test defines `gatehouseTestHook` in an init script, before the
// page runs, to watch every event of the page's bus (its leak scan reads the auth events' payloads). It gets
// `on` only: it cannot emit. Under the page's CSP no script of the shop's runs before this module.
const testHook = (globalThis as { gatehouseTestHook?: unknown }).gatehouseTestHook;
if (typeof testHook === 'function') testHook({ on: shell.events.on });

// The page lists the remotes its user may load: when another user signs in (in another tab), load the
// page again so the list is theirs.
const renderedFor = pageUserId();
shell.auth.subscribe((state) => {
  if (state.status === 'authenticated' && state.identity.user.id !== renderedFor) location.reload();
});

createRoot(document.getElementById('app')!).render(
  <GatehouseProvider shell={shell}>
    <App
      shopName={config.shopName}
      outlet={outlet}
      expiry={expiry}
      unavailable={config.unavailable === true}
    />
  </GatehouseProvider>,
);
shell.start().catch((error: unknown) => console.error(error));
