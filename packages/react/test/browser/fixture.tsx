// The page script of the React browser tests: @gatehouse/react over the real runtime (the remote test harness,
// and a real shell), rendered by react-dom in Chromium. Tests drive it through `window.gh`.
import type { IdentityContext } from '@gatehouse/policy';
import {
  createTestContext,
  ForbiddenError,
  NotFoundError,
  problem,
  type TestContext,
} from '@gatehouse/remote';
import { createShell, type Shell, type TelemetryEvent } from '@gatehouse/shell';
import { Component, type ReactNode, Suspense, use, useEffect, useMemo } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import {
  Can,
  defineReactRemote,
  GatehouseProvider,
  RemoteErrorBoundary,
  RequireAuth,
  useApi,
  useAuthState,
  useCan,
  useIdentity,
} from '../../src/index.js';

const host = document.getElementById('root')!;
let root: Root | undefined;
let context: TestContext | undefined;
const render = (node: ReactNode) => {
  root?.unmount();
  root = createRoot(host);
  root.render(node);
};
const log: string[] = [];
const telemetry: TelemetryEvent[] = [];
const sink = { track: (event: TelemetryEvent) => void telemetry.push(event) };

function Probe() {
  const allowed = useCan('orders:view');
  const owner = useCan('orders:edit', { ownerId: 'user_test' });
  const identity = useIdentity();
  log.push(`render ${allowed}`);
  return (
    <p id="probe">
      {allowed ? 'can view' : 'cannot view'}, {owner ? 'can edit own' : 'cannot edit own'},{' '}
      {identity.isAuthenticated ? identity.user.displayName : 'guest'}
    </p>
  );
}

function CanOnly() {
  const allowed = useCan('orders:view');
  log.push('can-only');
  return <span id="can-only">{String(allowed)}</span>;
}

function Thrower({ error }: { error: unknown }): ReactNode {
  throw error;
}
const problemOf = (status: number) =>
  ({ type: 'about:blank', title: `HTTP ${status}`, status, code: 'x' }) as never;
const errors = {
  forbidden: () => new ForbiddenError(problemOf(403)),
  'not-found': () => new NotFoundError(problemOf(404)),
  other: () => new TypeError('boom'),
};

// The promise comes from a component above the Suspense boundary: one that suspends before it ever mounted
// keeps no hooks, so a promise made there would be made again on every retry.
function Order({ id }: { id: string }) {
  const api = useApi();
  const order = useMemo(() => api.get<{ id: string }>(`/api/orders/${id}`), [api, id]);
  return (
    <Suspense fallback={<p>loading</p>}>
      <OrderView order={order} />
    </Suspense>
  );
}
function OrderView({ order }: { order: Promise<{ id: string }> }) {
  return <p id="order">Order {use(order).id}</p>;
}

class Catch extends Component<{ children: ReactNode }, { error?: string }> {
  override state: { error?: string } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error: String(error) };
  }
  override render() {
    return this.state.error ? <p id="uncaught">{this.state.error}</p> : this.props.children;
  }
}

function Status() {
  const state = useAuthState();
  return <p id="status">{state.status}</p>;
}

function RemoteApp({ context: given }: { context: TestContext | { name: string } }) {
  const identity = useIdentity();
  useEffect(() => {
    log.push('effect');
    return () => void log.push('cleanup');
  }, []);
  return (
    <section id="remote">
      {given.name}: {identity.isAuthenticated ? identity.user.displayName : 'guest'}
      <Can permission="orders:view" fallback=" (no orders)">
        {' '}
        (orders)
      </Can>
    </section>
  );
}
const reactRemote = defineReactRemote(RemoteApp as never);
const brokenRemote = defineReactRemote(
  () => {
    throw new Error('render failed');
  },
  { errorBoundary: false },
);

let shell: Shell | undefined;

const gh = {
  log,
  telemetry,
  contexts: [] as TestContext[],
  get logins() {
    return context?.logins ?? [];
  },
  can(permissions: string[]) {
    context = createTestContext({ permissions: permissions as never });
    render(
      <GatehouseProvider context={context}>
        <Probe />
        <CanOnly />
        <Can permission="orders:view" fallback={<span id="can">no</span>}>
          <span id="can">yes</span>
        </Can>
      </GatehouseProvider>,
    );
  },
  setIdentity(identity: IdentityContext | { id: string; displayName?: string; permissions: string[] }) {
    context = context!.setIdentity(identity as never);
  },
  boundary(
    kind: keyof typeof errors | 'unauthenticated-api' | 'forbidden-api' | 'fine-api',
    signedIn = true,
  ) {
    context = createTestContext({
      ...(signedIn ? { permissions: ['orders:view'] } : {}),
      api: {
        'GET /api/orders/:id': ({ params }) =>
          params.id === 'mine' ? { id: 'mine' } : problem(params.id === 'theirs' ? 403 : 401),
      },
    });
    const child =
      kind === 'fine-api' ? (
        <Order id="mine" />
      ) : kind === 'forbidden-api' ? (
        <Order id="theirs" />
      ) : kind === 'unauthenticated-api' ? (
        <Order id="anon" />
      ) : (
        <Thrower error={errors[kind]()} />
      );
    render(
      <GatehouseProvider context={context} telemetry={sink}>
        <RemoteErrorBoundary>{child}</RemoteErrorBoundary>
      </GatehouseProvider>,
    );
  },
  customBoundary() {
    context = createTestContext({ permissions: ['orders:view'] });
    render(
      <GatehouseProvider context={context}>
        <RemoteErrorBoundary
          fallback={({ kind, reset }) =>
            kind === 'not-found' ? (
              <button id="retry" type="button" onClick={reset}>
                no such order
              </button>
            ) : undefined
          }
          onError={(_error, kind) => log.push(`onError ${kind}`)}
        >
          <Thrower error={errors['not-found']()} />
        </RemoteErrorBoundary>
      </GatehouseProvider>,
    );
  },
  requireAuth(signedIn: boolean) {
    context = createTestContext(signedIn ? { identity: { displayName: 'Alice' } } : {});
    render(
      <GatehouseProvider context={context}>
        <RequireAuth>
          <p id="secret">for members</p>
        </RequireAuth>
        <RequireAuth fallback={<p id="custom">custom fallback</p>}>
          <p id="secret2">also for members</p>
        </RequireAuth>
      </GatehouseProvider>,
    );
  },
  async mountRemote(permissions: string[] = ['orders:view']) {
    root?.unmount();
    root = undefined;
    context = createTestContext({
      name: 'orders',
      identity: { displayName: 'Alice' },
      permissions: permissions as never,
    });
    await reactRemote.mount(host, context);
    return host.textContent;
  },
  async updateRemote(identity: IdentityContext | { displayName: string; permissions: string[] }) {
    context = context!.setIdentity(identity as never);
    await reactRemote.update!(context, host);
    return host.textContent;
  },
  async unmountRemote() {
    await reactRemote.unmount(host);
    return host.innerHTML;
  },
  async mountBroken() {
    root?.unmount();
    root = undefined;
    try {
      await brokenRemote.mount(host, createTestContext());
      return 'mounted';
    } catch (error) {
      return `threw: ${(error as Error).message}; left: "${host.innerHTML}"`;
    }
  },
  async shell() {
    shell = createShell({
      outlet: document.getElementById('outlet')!,
      remotes: [],
      allowedOrigins: [],
      routes: [],
      telemetry: false,
      push: false,
    });
    render(
      <Catch>
        <GatehouseProvider shell={shell}>
          <Status />
          <RequireAuth loading={<p id="secret">waiting</p>}>
            <Probe />
          </RequireAuth>
        </GatehouseProvider>
      </Catch>,
    );
    await shell.start();
  },
  // Another tab says the session ended: the shell's store changes, the React tree follows.
  otherTabSays(message: object) {
    const channel = new BroadcastChannel('gatehouse:auth');
    channel.postMessage(message);
    channel.close();
  },
  noProvider() {
    render(
      <Catch>
        <Probe />
      </Catch>,
    );
  },
};

declare global {
  interface Window {
    gh: typeof gh;
  }
}
window.gh = gh;
