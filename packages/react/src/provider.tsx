import type { RemoteContext } from '@gatehouse/remote';
import type { Shell } from '@gatehouse/shell';
import { createContext, type ReactNode, useMemo } from 'react';
import { GatehouseReactError } from './errors.js';
import { type Binding, contextBinding, shellBinding, type TelemetrySink } from './lib/binding.js';

/** @internal The provider's value; hooks read it. */
export const GatehouseContext = createContext<Binding | null>(null);

/** Props of {@link GatehouseProvider}: a shell, or a remote's context; never both. */
export type GatehouseProviderProps = {
  readonly children?: ReactNode;
  /** Where the remote error boundary reports (`createTelemetry()` of `@gatehouse/shell`); optional. */
  readonly telemetry?: TelemetrySink;
} & (
  | { readonly shell: Shell; readonly context?: undefined }
  | { readonly context: RemoteContext; readonly shell?: undefined }
);

/**
 * Makes the runtime's auth state available to the hooks below it. In a shell, pass the shell
 * (`createShell(…)`); in a remote, pass the `RemoteContext` the shell mounted it with (or use
 * {@link defineReactRemote}, which does it). A new `context` (the shell's `update`) replaces the old one.
 *
 * @example
 * // the shell's own React UI (header, account menu)
 * createRoot(header).render(<GatehouseProvider shell={shell}><AccountMenu /></GatehouseProvider>);
 * // a remote, by hand
 * root.render(<GatehouseProvider context={context}><Orders /></GatehouseProvider>);
 */
export function GatehouseProvider(props: GatehouseProviderProps): ReactNode {
  const { shell, context, telemetry, children } = props;
  if (!shell === !context)
    throw new GatehouseReactError('GH_REACT_BAD_PROVIDER', 'GatehouseProvider takes a shell or a context');
  const binding = useMemo(
    () => (shell ? shellBinding(shell, telemetry) : contextBinding(context!, telemetry)),
    [shell, context, telemetry],
  );
  return <GatehouseContext.Provider value={binding}>{children}</GatehouseContext.Provider>;
}
