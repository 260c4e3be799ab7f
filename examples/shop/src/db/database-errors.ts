import { ShopError } from '../lib/shop-error.js';
import { sqlState } from './database.js';

/** SQLSTATE `insufficient_privilege`: a missing grant, or the audit log's append-only triggers. */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * What a failed statement throws: a {@link ShopError} `GH_SHOP_DB_PERMISSION_DENIED` (the server's message
 * as its problem, the driver's error as its `cause`) when the database refused it for want of privilege,
 * the driver's own error otherwise, so `sqlState(error)` still answers `23505` for a unique violation.
 */
export function databaseError(error: unknown): unknown {
  if (error instanceof ShopError || sqlState(error) !== INSUFFICIENT_PRIVILEGE) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ShopError('GH_SHOP_DB_PERMISSION_DENIED', [message], { cause: error });
}
