import { GatehouseProvider } from '@gatehouse/react';
import { createShell } from '@gatehouse/shell';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { pageUserId, readPageConfig } from './config.js';
import { shopView } from './views.js';

const config = readPageConfig();
const outlet = document.createElement('div');
outlet.className = 'outlet';
const shell = createShell({
  outlet,
  remotes: config.remotes,
  allowedOrigins: config.allowedOrigins,
  routes: config.routes,
  version: config.version,
  view: shopView,
});

// The page lists the remotes its user may load: when another user signs in (in another tab), load the
// page again so the list is theirs.
const renderedFor = pageUserId();
shell.auth.subscribe((state) => {
  if (state.status === 'authenticated' && state.identity.user.id !== renderedFor) location.reload();
});

createRoot(document.getElementById('app')!).render(
  <GatehouseProvider shell={shell}>
    <App shopName={config.shopName} outlet={outlet} />
  </GatehouseProvider>,
);
shell.start().catch((error: unknown) => console.error(error));
