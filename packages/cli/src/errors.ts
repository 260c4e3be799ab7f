/**
 * Codes of {@link CliError}: `GH_CLI_USAGE` for a bad call; `GH_CLI_BUILD_NETWORK` for a remote build that
 * tried to reach the network and `GH_CLI_BUILD_FAILED` for one that failed otherwise (`build-offline`); the
 * others name what `new remote` refused.
 */
export type CliErrorCode =
  | 'GH_CLI_USAGE'
  | 'GH_CLI_BAD_REMOTE_NAME'
  | 'GH_CLI_REMOTE_EXISTS'
  | 'GH_CLI_ROUTE_TAKEN'
  | 'GH_CLI_NO_REMOTES_DIR'
  | 'GH_CLI_BUILD_NETWORK'
  | 'GH_CLI_BUILD_FAILED';

/** A problem with how the command was called (bad flag, unreadable file, bad name): printed, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(message: string, options: ErrorOptions & { readonly code?: CliErrorCode } = {}) {
    super(message, options);
    this.code = options.code ?? 'GH_CLI_USAGE';
  }
}
