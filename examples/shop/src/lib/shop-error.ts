/** Stable codes of the shop's own errors (request errors are `@gatehouse/api`'s `ApiError`s). */
export type ShopErrorCode = 'GH_SHOP_OPTIONS_INVALID';

/**
 * An error of `@gatehouse/example-shop`: bad options to `startShopApis` or `openShopDatabase`, every problem
 * listed in one message.
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
