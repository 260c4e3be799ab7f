// What `npm run size` bundles: Gatehouse's browser runtime, its parts, and the SPA auth SDKs and single-spa it is
// compared with.

/** React, left out of @gatehouse/react's figure (the app has it anyway). */
const REACT = ['react', 'react-dom', 'react/*', 'react-dom/*'];

/** One bundle to measure. */
export interface SizeTarget {
  readonly id: string;
  readonly label: string;
  /** The entry module's text. */
  readonly code: string;
  /** What stays out of the bundle. */
  readonly external?: readonly string[];
  /** The package whose version the notes name. */
  readonly pkg?: string;
}

/** What is measured: a label, the entry module's text, and what stays external. */
export const TARGETS: readonly SizeTarget[] = [
  {
    id: 'shell',
    label: 'Gatehouse shell runtime (everything @gatehouse/shell exports)',
    code: "export * from '@gatehouse/shell';",
  },
  {
    id: 'createShell',
    label: 'Gatehouse shell runtime (createShell alone)',
    code: "export { createShell } from '@gatehouse/shell';",
  },
  {
    // A lower bound for any shell with the parts: each building block it needs, bundled without the
    // wiring createShell adds (regions, 401 flow, tabs, push leader, expiry, links, logout, extend) and without
    // telemetry.
    id: 'parts',
    label: 'its building blocks alone, no createShell wiring, no telemetry (a lower bound)',
    code: [
      "export { createRemoteLoader, validateManifest, createRouteTable, routesFromManifests, guard, createAuthStore, parseIdentity, readInlineIdentity, fetchIdentity, connectTabs, connectPush, defaultView, withTimeout } from '@gatehouse/shell';",
      "export { createApiClient, createEventBus, scopeEventBus, createRemoteContext, defineRemote, randomHex } from '@gatehouse/remote';",
    ].join('\n'),
  },
  {
    // What a shell that loads Module Federation remotes adds: the guard plugin and the loader, bundled with
    // createShell (the MF runtime stays out: the host has it anyway). Minus the row above: the plugin's cost.
    id: 'shell+federation',
    label: 'createShell + @gatehouse/federation (guard plugin + loader; MF runtime external)',
    code: [
      "export { createShell } from '@gatehouse/shell';",
      "export { guardFederation, federatedLoader } from '@gatehouse/federation';",
    ].join('\n'),
    external: ['@module-federation/runtime'],
  },
  {
    // A hybrid app's page: the bridge to its native host (issue 18), bundled with createShell. Minus the
    // createShell row: what the bridge adds; a shell that does not import `@gatehouse/shell/native` pays 0 B.
    id: 'shell+native',
    label: 'createShell + @gatehouse/shell/native (the hybrid-app bridge)',
    code: [
      "export { createShell } from '@gatehouse/shell';",
      "export { startNativeBridge } from '@gatehouse/shell/native';",
    ].join('\n'),
  },
  {
    // Declared upstreams per remote (issue 15): the guard that holds each remote's API client to its list,
    // bundled with createShell. Minus the createShell row: what it adds; 0 B to a shell without it.
    id: 'shell+upstreams',
    label: 'createShell + @gatehouse/shell/upstreams (declared upstreams per remote)',
    code: [
      "export { createShell } from '@gatehouse/shell';",
      "export { declareUpstreams } from '@gatehouse/shell/upstreams';",
    ].join('\n'),
  },
  {
    // Step-up (RFC 9470) for a remote: the level, the pending action at the BFF, the retry. An entry of its own:
    // a shell or remote that does not import it pays nothing.
    id: 'step-up',
    label:
      'step-up for a remote: @gatehouse/remote/step-up (withStepUp, resumeStepUp, keepOnExpiry, meetsLevel)',
    code: "export { withStepUp, resumeStepUp, keepOnExpiry, stepUp, meetsLevel, authLevel, stepUpOf } from '@gatehouse/remote/step-up';",
  },
  {
    // The user's sessions for an account page: list, end one, end every other.
    id: 'sessions',
    label: 'sessions for an account page: @gatehouse/remote/sessions (list, end one, end the others)',
    code: "export { listSessions, endSession, endOtherSessions } from '@gatehouse/remote/sessions';",
  },
  {
    // An organisation picker: switch the session's active tenant.
    id: 'tenant',
    label: 'an organisation picker: @gatehouse/remote/tenant (switchTenant)',
    code: "export { switchTenant } from '@gatehouse/remote/tenant';",
  },
  {
    id: 'remote',
    label: 'a remote: @gatehouse/remote (defineRemote + error classes)',
    code: "export { defineRemote, ForbiddenError, NotFoundError, UnauthenticatedError, ApiError } from '@gatehouse/remote';",
  },
  {
    id: 'react',
    label: 'a React remote: @gatehouse/react (everything, React external)',
    code: "export * from '@gatehouse/react';",
    external: REACT,
  },
  {
    id: 'oidc',
    label: 'oidc-client-ts (UserManager)',
    code: "export { UserManager } from 'oidc-client-ts';",
    pkg: 'oidc-client-ts',
  },
  {
    id: 'auth0',
    label: '@auth0/auth0-spa-js (createAuth0Client)',
    code: "export { createAuth0Client } from '@auth0/auth0-spa-js';",
    pkg: '@auth0/auth0-spa-js',
  },
  {
    id: 'single-spa',
    label: 'single-spa (registerApplication + start)',
    code: "export { registerApplication, start } from 'single-spa';",
    pkg: 'single-spa',
  },
  {
    id: 'replaced',
    label: 'what the shell replaces: single-spa + oidc-client-ts, in one bundle',
    code: "export { registerApplication, start } from 'single-spa'; export { UserManager } from 'oidc-client-ts';",
  },
];
