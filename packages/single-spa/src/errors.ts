/**
 * Codes of {@link SingleSpaError}:
 * - `GH_SPA_FORBIDDEN`: the auth state does not allow the remote (signed out, a role or permission missing):
 *   nothing of it was fetched;
 * - `GH_SPA_UNKNOWN_REMOTE`: no valid manifest names the remote.
 * Loading errors keep the shell loader's codes (`GH_SHELL_LOAD_FAILED`, `GH_SHELL_INTEGRITY_UNSUPPORTED`…).
 */
export type SingleSpaErrorCode = 'GH_SPA_FORBIDDEN' | 'GH_SPA_UNKNOWN_REMOTE';

/**
 * The error a wrapped lifecycle throws when Gatehouse refuses; single-spa then marks the application or
 * parcel broken (`SKIP_BECAUSE_BROKEN`) and the rest of the page goes on.
 *
 * @example
 * parcel.mountPromise.catch((error) => error.code === 'GH_SPA_FORBIDDEN' && shell.login());
 */
export class SingleSpaError extends Error {
  override readonly name = 'SingleSpaError';
  declare readonly code: SingleSpaErrorCode;

  constructor(code: SingleSpaErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
