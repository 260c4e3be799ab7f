/**
 * Codes of {@link ShellError}:
 * - `GH_SHELL_BAD_OPTIONS`: `createShell` options are wrong (every problem listed);
 * - `GH_SHELL_BAD_ROUTES`: the route table is wrong (every problem listed);
 * - `GH_SHELL_BAD_MANIFEST`: a remote manifest is refused (every problem listed);
 * - `GH_SHELL_UNKNOWN_REMOTE`: a route names a remote without a valid manifest;
 * - `GH_SHELL_INTEGRITY_UNSUPPORTED`: this browser (or the page's CSP) does not enforce import-map
 *   `integrity`, so no remote is loaded (fail closed);
 * - `GH_SHELL_LOAD_FAILED`: the remote's module did not load (404, changed bytes, network, a syntax error) or
 *   does not export a valid `remote` lifecycle;
 * - `GH_SHELL_TIMEOUT`: loading, mounting or unmounting took longer than the timeout;
 * - `GH_SHELL_MOUNT_FAILED`: `mount` or `update` threw;
 * - `GH_SHELL_SESSION_UNAVAILABLE`: `GET /auth/session` failed or answered something that is not an identity.
 */
export type ShellErrorCode =
  | 'GH_SHELL_BAD_OPTIONS'
  | 'GH_SHELL_BAD_ROUTES'
  | 'GH_SHELL_BAD_MANIFEST'
  | 'GH_SHELL_UNKNOWN_REMOTE'
  | 'GH_SHELL_INTEGRITY_UNSUPPORTED'
  | 'GH_SHELL_LOAD_FAILED'
  | 'GH_SHELL_TIMEOUT'
  | 'GH_SHELL_MOUNT_FAILED'
  | 'GH_SHELL_SESSION_UNAVAILABLE';

/**
 * The one error class of this package: a stable `code`, every problem found when validating, and the
 * `cause` kept.
 *
 * @example
 * try { validateManifest(json, { allowedOrigins }); }
 * catch (error) { if (error instanceof ShellError) console.error(error.code, error.problems); }
 */
export class ShellError extends Error {
  override readonly name = 'ShellError';
  declare readonly code: ShellErrorCode;
  declare readonly problems: readonly string[];

  constructor(code: ShellErrorCode, message: string, options?: ErrorOptions & { problems?: string[] }) {
    const problems = options?.problems ?? [];
    super(problems[0] ? `${message}: ${problems.join('; ')}` : message, options);
    this.code = code;
    this.problems = Object.freeze(problems);
  }
}
