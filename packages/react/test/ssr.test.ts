import type { Permission, Resource } from '@gatehouse/policy';
import {
  createApiClient,
  createEventBus,
  createTestContext,
  problemError,
  type RemoteContext,
} from '@gatehouse/remote';
import { createAuthStore, type Shell } from '@gatehouse/shell';
import { createElement as h, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import {
  Can,
  GatehouseProvider,
  type GatehouseProviderProps,
  GatehouseReactError,
  RequireAuth,
  remoteErrorKind,
  useAuthState,
  useCan,
  useIdentity,
  useRemoteContext,
  useShell,
} from '../src/index.js';

const alice = { id: 'user_alice', displayName: 'Alice', permissions: ['orders:view' as const] };

function Hello(): ReactNode {
  const identity = useIdentity();
  const { status } = useAuthState();
  return h('p', null, `${status}: ${identity.isAuthenticated ? identity.user.displayName : 'guest'}`);
}

const inRemote = (context: RemoteContext, ...children: ReactNode[]) =>
  renderToString(h(GatehouseProvider, { context }, ...children));

/** A shell as the provider sees it: the real store, nothing that needs a page. */
function fakeShell() {
  const store = createAuthStore();
  const logins: (string | undefined)[] = [];
  const shell = {
    auth: { getState: store.getState, subscribe: store.subscribe },
    api: createApiClient(),
    events: createEventBus(),
    login: (returnTo?: string) => void logins.push(returnTo),
  } as unknown as Shell;
  return { shell, store, logins };
}

describe('server rendering (renderToString)', () => {
  it('<RequireAuth> renders its children for a signed-in user, a sign-in offer for an anonymous one', () => {
    const guarded = h(RequireAuth, null, h('p', null, 'members only'));
    expect(inRemote(createTestContext({ identity: alice }), guarded)).toBe('<p>members only</p>');
    const html = inRemote(createTestContext(), guarded);
    expect(html).toContain('data-gatehouse-view="sign-in"');
    expect(html).toContain('<button type="button">Sign in</button>');
    expect(html).not.toContain('members only');
    expect(inRemote(createTestContext(), h(RequireAuth, { fallback: 'please sign in' }, 'x'))).toBe(
      'please sign in',
    );
  });

  it('useCan and <Can> ask the runtime: permissions, ownership and tenants by the shared policy', () => {
    const context = createTestContext({
      identity: {
        id: 'user_erin',
        permissions: ['orders:edit'],
        tenants: [{ id: 'acme', roles: ['org_admin'], permissions: ['users:view'] }],
      },
    });
    function Probe({ permission, resource }: { permission: Permission; resource?: Resource }) {
      return String(useCan(permission, resource));
    }
    const ask = (permission: Permission, resource?: Resource) =>
      inRemote(context, h(Probe, { permission, ...(resource ? { resource } : {}) }));
    expect(ask('orders:edit', { ownerId: 'user_erin' })).toBe('true');
    expect(ask('orders:edit', { ownerId: 'user_bob' })).toBe('false');
    expect(ask('users:view')).toBe('false');
    expect(ask('users:view', { tenantId: 'acme' })).toBe('true');
    expect(ask('users:view', { tenantId: 'globex' })).toBe('false');
    // The same answers as the context's own can, which the runtime built.
    expect(context.can('users:view', { tenantId: 'acme' })).toBe(true);
    expect(
      inRemote(
        context,
        h(Can, { permission: 'orders:cancel', fallback: 'no' }, 'yes'),
        h(Can, { permission: 'orders:edit' }, 'yes'),
      ),
    ).toBe('no<!-- -->yes');
    expect(inRemote(createTestContext(), h(Can, { permission: 'orders:edit' }, 'yes'))).toBe('');
  });

  it('under a shell, reads the shell’s store: loading, then authenticated', () => {
    const { shell, store } = fakeShell();
    const page = () =>
      renderToString(
        h(
          GatehouseProvider,
          { shell },
          h(Hello),
          h(RequireAuth, { loading: 'wait' }, h(Can, { permission: 'orders:view' }, 'orders')),
        ),
      );
    expect(page()).toBe('<p>loading: guest</p>wait');
    store.setIdentity({
      isAuthenticated: true,
      user: { ...alice, roles: [], tenants: [] },
      session: { expiresAt: '2030-01-01T00:00:00Z' },
    });
    expect(page()).toBe('<p>authenticated: Alice</p>orders');
    store.logOut('user_action');
    expect(page()).toContain('<p>logged-out: guest</p><div data-gatehouse-view="signed-out"');
  });

  it('refuses a provider with neither or both runtimes, and hooks without a provider or of the other side', () => {
    const { shell } = fakeShell();
    const context = createTestContext();
    const code = (render: () => unknown) => {
      try {
        render();
      } catch (error) {
        expect(error).toBeInstanceOf(GatehouseReactError);
        return (error as GatehouseReactError).code;
      }
      return 'rendered';
    };
    expect(code(() => renderToString(h(GatehouseProvider, {} as GatehouseProviderProps)))).toBe(
      'GH_REACT_BAD_PROVIDER',
    );
    expect(
      code(() =>
        renderToString(h(GatehouseProvider, { shell, context } as unknown as GatehouseProviderProps)),
      ),
    ).toBe('GH_REACT_BAD_PROVIDER');
    expect(code(() => renderToString(h(Hello)))).toBe('GH_REACT_NO_PROVIDER');
    const Shelly = () => useShell().login.name;
    const Remotey = () => useRemoteContext().name;
    expect(code(() => inRemote(context, h(Shelly)))).toBe('GH_REACT_NOT_A_SHELL');
    expect(code(() => renderToString(h(GatehouseProvider, { shell }, h(Remotey))))).toBe(
      'GH_REACT_NOT_A_REMOTE',
    );
    expect(code(() => inRemote(context, h(Remotey)))).toBe('rendered');
  });

  it('maps the API client’s errors to the boundary’s views, across copies of the package', () => {
    expect(remoteErrorKind(problemError(403, { code: 'forbidden' }))).toBe('no-access');
    expect(remoteErrorKind(problemError(403, { code: 'csrf_failed' }))).toBe('no-access');
    expect(remoteErrorKind(problemError(404, {}))).toBe('not-found');
    expect(remoteErrorKind(problemError(401, { code: 'session_expired' }))).toBe('sign-in');
    expect(remoteErrorKind(problemError(409, { code: 'conflict' }))).toBe('error');
    expect(remoteErrorKind(new Error('x'))).toBe('error');
    // An error from another copy of @gatehouse/remote carries the same kinds.
    const foreign = Object.assign(new Error('copy'), {
      [Symbol.for('gatehouse.error.kinds')]: ['ForbiddenError', 'ApiError', 'RemoteError'],
    });
    expect(remoteErrorKind(foreign)).toBe('no-access');
  });
});
