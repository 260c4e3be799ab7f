/** Stable error codes of `@gatehouse/dev-idp`. */
export type DevIdpErrorCode =
  /** `NODE_ENV=production`: the dev IdP refuses to start. */
  | 'GH_DEV_IDP_PRODUCTION'
  /** The options failed validation (unknown keys, wrong types, bad URLs); `problems` lists every one. */
  | 'GH_DEV_IDP_OPTIONS_INVALID'
  /** The HTTP server could not listen (port in use, bad host); `cause` holds the socket error. */
  | 'GH_DEV_IDP_LISTEN_FAILED'
  /** oidc-provider refused the generated configuration; `cause` holds its error. */
  | 'GH_DEV_IDP_PROVIDER_FAILED'
  /** `updateUser` named no known login or `sub`. */
  | 'GH_DEV_IDP_UNKNOWN_USER';

/**
 * The one error class of `@gatehouse/dev-idp`: a stable `code`, the list of `problems` for invalid options,
 * and the lower-layer `cause` when there is one.
 *
 * @example
 * try {
 *   await createDevIdp({ prot: 4001 } as never);
 * } catch (error) {
 *   if (error instanceof DevIdpError && error.code === 'GH_DEV_IDP_OPTIONS_INVALID') console.error(error.problems);
 * }
 */
export class DevIdpError extends Error {
  override readonly name = 'DevIdpError';
  readonly code: DevIdpErrorCode;
  /** Every problem found, one line each (only for `GH_DEV_IDP_OPTIONS_INVALID`; otherwise empty). */
  readonly problems: readonly string[];

  constructor(
    code: DevIdpErrorCode,
    message: string,
    options: { problems?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = Object.freeze([...(options.problems ?? [])]);
  }
}
