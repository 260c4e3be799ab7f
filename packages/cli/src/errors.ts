/** A problem with how the command was called (bad flag, unreadable file): printed, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'GH_CLI_USAGE';
}
