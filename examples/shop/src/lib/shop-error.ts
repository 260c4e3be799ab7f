/**
 * Stable codes of the shop's own errors (request errors are `@gatehouse/api`'s `ApiError`s):
 * `GH_SHOP_OPTIONS_INVALID`, bad options; `GH_SHOP_DB_PERMISSION_DENIED`, the database refused a statement
 * (SQLSTATE 42501): the connection's role lacks the privilege, or the audit log's append-only triggers
 * refused an UPDATE, DELETE or TRUNCATE of `audit.events`.
 */
export type ShopErrorCode = 'GH_SHOP_OPTIONS_INVALID' | 'GH_SHOP_DB_PERMISSION_DENIED';

/**
 * An error of `@gatehouse/example-shop`: bad options to `startShopApis` or `openShopDatabase`, every problem
 * listed in one message; or a statement the database refused, its message as the problem and the driver's
 * error as `cause`.
 *
 * @example
 * try { await startShopApis({ db, issuer: 'nope' }); } catch (error) { if (error instanceof ShopError) console.error(error.problems); }
 */
export class ShopError extends Error {
  override readonly name = 'ShopError';
  constructor(
    readonly code: ShopErrorCode,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${problems.join('; ')}`, options);
  }
}
