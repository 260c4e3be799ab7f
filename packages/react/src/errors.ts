/**
 * Codes of {@link GatehouseReactError}:
 * - `GH_REACT_NO_PROVIDER`: a hook or component ran outside a {@link GatehouseProvider};
 * - `GH_REACT_BAD_PROVIDER`: the provider got neither or both of `shell` and `context`;
 * - `GH_REACT_NOT_A_REMOTE`: `useRemoteContext` under a shell's provider;
 * - `GH_REACT_NOT_A_SHELL`: `useShell` under a remote's provider.
 */
export type ReactErrorCode =
  | 'GH_REACT_NO_PROVIDER'
  | 'GH_REACT_BAD_PROVIDER'
  | 'GH_REACT_NOT_A_REMOTE'
  | 'GH_REACT_NOT_A_SHELL';

/**
 * The one error class of this package, with a stable `code`.
 *
 * @example
 * try { renderToString(createElement(Profile)); }
 * catch (error) { if (error instanceof GatehouseReactError) console.error(error.code); } // GH_REACT_NO_PROVIDER
 */
export class GatehouseReactError extends Error {
  override readonly name = 'GatehouseReactError';
  readonly code: ReactErrorCode;

  constructor(code: ReactErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
