/** A value a query parameter may hold; objects go to `jsonb` columns as `JSON.stringify(value)` with `$n::jsonb`. */
export type SqlValue = string | number | boolean | null | Date | readonly string[] | readonly number[];

/** What both a database and an open transaction can do: run one SQL statement with `$1…$n` parameters. */
export interface Queryable {
  /**
   * Runs one statement and resolves to its rows (empty for statements without `RETURNING`). Both
   * implementations answer the same types: `integer` and `bigint` as numbers, `timestamptz` as `Date`,
   * `jsonb` parsed, `text[]` as arrays.
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

/**
 * The shop's one small data layer: the same SQL runs on PGlite (embedded Postgres) and on a Postgres server.
 *
 * @example
 * const rows = await db.query<{ id: string }>('SELECT id FROM catalog.products WHERE category_slug = $1', ['books']);
 * await db.transaction(async (tx) => {
 *   await tx.query('UPDATE catalog.products SET stock = stock - $2 WHERE id = $1', ['prod_tawa', 1]);
 * });
 */
export interface Database extends Queryable {
  /** `pglite` (embedded, in memory or in a folder) or `postgres` (a server, through `pg`). */
  readonly kind: 'pglite' | 'postgres';
  /** Where the data lives, for logs: a folder, `memory://` or the server URL without its password. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the error is
   * rethrown). Use only `tx` inside: on PGlite, a query on the database itself would wait for the
   * transaction to end.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes the database (PGlite flushes its folder; the pool's connections end). Idempotent. */
  close(): Promise<void>;
}

/**
 * The SQLSTATE of a database error (`23505` for a unique violation), when the error carries one; for a
 * `ShopError` a refused statement became (`GH_SHOP_DB_PERMISSION_DENIED`), its cause's (`42501`).
 */
export function sqlState(error: unknown): string | undefined {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  return error instanceof Error && cause !== undefined && cause !== error ? sqlState(cause) : undefined;
}
