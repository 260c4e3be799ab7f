import { ForbiddenError, NotFoundError, UnauthenticatedError } from '@gatehouse/remote';
import { Component, type ErrorInfo, type ReactNode, useContext, useSyncExternalStore } from 'react';
import type { Binding } from './lib/binding.js';
import { GatehouseContext } from './provider.js';
import { DefaultView } from './views.js';

/** What the boundary shows: `no-access` (403), `not-found` (404), `sign-in` (401), `error` (anything else). */
export type RemoteErrorKind = 'no-access' | 'not-found' | 'sign-in' | 'error';

/** What a custom fallback of {@link RemoteErrorBoundary} receives. */
export interface RemoteErrorFallbackProps {
  readonly error: unknown;
  readonly kind: RemoteErrorKind;
  /** Renders the children again. */
  reset(): void;
}

/** Props of {@link RemoteErrorBoundary}. */
export interface RemoteErrorBoundaryProps {
  readonly children?: ReactNode;
  /** Your own views; return `undefined` to keep the default one for that kind. */
  readonly fallback?: (props: RemoteErrorFallbackProps) => ReactNode | undefined;
  /** Told about each error caught (after telemetry). */
  readonly onError?: (error: unknown, kind: RemoteErrorKind) => void;
}

/**
 * What kind of failure `error` is, matched across copies of `@gatehouse/remote`.
 *
 * @example
 * remoteErrorKind(new ForbiddenError(problem)) // 'no-access'
 */
export function remoteErrorKind(error: unknown): RemoteErrorKind {
  if (error instanceof ForbiddenError) return 'no-access';
  if (error instanceof NotFoundError) return 'not-found';
  if (error instanceof UnauthenticatedError) return 'sign-in';
  return 'error';
}

interface InnerProps extends RemoteErrorBoundaryProps {
  readonly binding: Binding | null;
  /** The identity: when it changes (another user, signed in at last), the children get another chance. */
  readonly resetKey: unknown;
}

class Boundary extends Component<InnerProps, { readonly failed: boolean; readonly error?: unknown }> {
  override state = { failed: false, error: undefined as unknown };

  static getDerivedStateFromError(error: unknown) {
    return { failed: true, error };
  }

  override componentDidCatch(error: unknown, _info: ErrorInfo): void {
    const kind = remoteErrorKind(error);
    const { binding } = this.props;
    try {
      binding?.telemetry?.track({
        type: kind === 'no-access' ? 'access_denied' : 'remote_failed',
        remoteName: binding.name,
        errorType: String((error as { code?: unknown })?.code ?? (error as Error)?.name ?? 'error'),
      });
    } catch {
      // Telemetry never breaks the view.
    }
    this.props.onError?.(error, kind);
  }

  override componentDidUpdate(previous: InnerProps): void {
    if (this.state.failed && previous.resetKey !== this.props.resetKey) this.reset();
  }

  reset = () => this.setState({ failed: false, error: undefined });

  override render(): ReactNode {
    const { failed, error } = this.state;
    if (!failed) return this.props.children;
    const kind = remoteErrorKind(error);
    const custom = this.props.fallback?.({ error, kind, reset: this.reset });
    return custom !== undefined ? custom : <DefaultView kind={kind} login={this.props.binding?.login} />;
  }
}

const none = () => () => {};

/**
 * An error boundary for a remote's tree: a `ForbiddenError` shows the no-access view (never a login), a
 * `NotFoundError` the not-found view, an `UnauthenticatedError` a sign-in offer (a signed-in user's 401 is
 * already the shell's session flow), anything else a generic error view. Each error is reported to the
 * provider's telemetry when there is one (`access_denied` or `remote_failed`, never the message). A new
 * identity resets it. Catches what React does: render errors, including a rejected promise read with `use()`.
 *
 * @example
 * <RemoteErrorBoundary fallback={({ kind }) => (kind === 'not-found' ? <NoSuchOrder /> : undefined)}>
 *   <OrderPage id={id} />
 * </RemoteErrorBoundary>
 */
export function RemoteErrorBoundary(props: RemoteErrorBoundaryProps): ReactNode {
  const binding = useContext(GatehouseContext);
  const read = () => binding?.getState().identity;
  const identity = useSyncExternalStore(binding?.subscribe ?? none, read, read);
  return <Boundary {...props} binding={binding} resetKey={identity} />;
}
