/**
 * Codes of {@link FederationError}:
 * - `GH_FED_UNKNOWN_REMOTE`: no valid signed manifest names this remote as federated, or it was registered
 *   with an entry its manifest does not pin;
 * - `GH_FED_UNPINNED`: a URL the Module Federation runtime was about to fetch is not pinned by the remote's
 *   manifest (another origin, a chunk the build did not list): refused before any request;
 * - `GH_FED_FORBIDDEN`: the auth state does not allow this remote yet (signed out, the role or permission
 *   missing): nothing of it is fetched;
 * - `GH_FED_SHARED_CONFLICT`: a shared singleton (React, the Gatehouse runtime) in a version the remote's
 *   range does not accept: refused at load, not warned about;
 * - `GH_FED_LOAD_FAILED`: the entry or a chunk did not load (changed bytes, 404, network) or exposes no valid
 *   `remote` lifecycle.
 */
export type FederationErrorCode =
  | 'GH_FED_UNKNOWN_REMOTE'
  | 'GH_FED_UNPINNED'
  | 'GH_FED_FORBIDDEN'
  | 'GH_FED_SHARED_CONFLICT'
  | 'GH_FED_LOAD_FAILED';

/**
 * The one error class of this package: a stable `code` and the remote it concerns. The Module Federation
 * runtime rethrows the same object (it prefixes the message), so the code reaches the caller of `loadRemote`
 * and the shell's telemetry.
 *
 * @example
 * try { await mf.loadRemote('wishlist/remote'); }
 * catch (error) { if (error instanceof FederationError && error.code === 'GH_FED_FORBIDDEN') login(); }
 */
export class FederationError extends Error {
  override readonly name = 'FederationError';
  declare readonly code: FederationErrorCode;
  declare readonly remote: string;

  constructor(code: FederationErrorCode, remote: string, message: string, options?: ErrorOptions) {
    super(`${remote}: ${message}`, options);
    this.code = code;
    this.remote = remote;
  }
}
