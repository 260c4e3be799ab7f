import { defineRemote, type RemoteContext, type RemoteLifecycle } from '@gatehouse/remote';
import type { ComponentType, ReactNode } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { RemoteErrorBoundary, type RemoteErrorBoundaryProps } from './error-boundary.js';
import type { TelemetrySink } from './lib/binding.js';
import { GatehouseProvider } from './provider.js';

/** Options of {@link defineReactRemote}. */
export interface ReactRemoteOptions {
  /**
   * The remote error boundary around the component (on by default); `false` lets errors reach the shell,
   * which marks the remote broken; an object passes `fallback`/`onError` to it.
   */
  readonly errorBoundary?: boolean | Omit<RemoteErrorBoundaryProps, 'children'>;
  /** Where the error boundary reports (`createTelemetry()` of `@gatehouse/shell`). */
  readonly telemetry?: TelemetrySink;
  /** Options for `createRoot` (`identifierPrefix`, …). */
  readonly root?: { readonly identifierPrefix?: string };
}

/**
 * A React component as a remote lifecycle: `mount` creates a root in the element and renders
 * `<GatehouseProvider context>` around the component (and a {@link RemoteErrorBoundary}), `update`
 * renders again with the new context, `unmount` unmounts the root. Renders synchronously, so the shell's
 * timeout covers the first render, and an error that escapes every boundary makes `mount` throw (the shell
 * marks the remote broken).
 *
 * @example
 * function Orders({ context }: { context: RemoteContext }) {
 *   const canView = useCan('orders:view');
 *   return canView ? <OrderList /> : <p>No access</p>;
 * }
 * export const remote = defineReactRemote(Orders);
 */
export function defineReactRemote(
  Component: ComponentType<{ readonly context: RemoteContext }>,
  options: ReactRemoteOptions = {},
): Readonly<RemoteLifecycle> {
  const roots = new WeakMap<HTMLElement, Root>();
  const { errorBoundary = true } = options;
  const tree = (context: RemoteContext): ReactNode => {
    const node = <Component context={context} />;
    return (
      <GatehouseProvider context={context} telemetry={options.telemetry}>
        {errorBoundary ? (
          <RemoteErrorBoundary {...(errorBoundary === true ? {} : errorBoundary)}>{node}</RemoteErrorBoundary>
        ) : (
          node
        )}
      </GatehouseProvider>
    );
  };
  return defineRemote({
    mount(element, context) {
      let failed: { error: unknown } | undefined;
      const root = createRoot(element, {
        ...options.root,
        onUncaughtError: (error) => {
          failed ??= { error };
        },
      });
      roots.set(element, root);
      flushSync(() => root.render(tree(context)));
      if (failed) {
        roots.delete(element);
        root.unmount();
        throw failed.error;
      }
    },
    update(context, element) {
      const root = roots.get(element);
      if (root) flushSync(() => root.render(tree(context)));
    },
    unmount(element) {
      roots.get(element)?.unmount();
      roots.delete(element);
    },
  });
}
