import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, SqlValue } from './database.js';
import { databaseError } from './database-errors.js';

/** Options of {@link openPgliteDatabase}. */
export interface PgliteDatabaseOptions {
  /** A folder for the data (created when missing), or `memory://` (the default) for a throw-away database. */
  readonly dataDir?: string;
}

const toParams = (params: readonly SqlValue[] | undefined) => (params ? [...params] : undefined);

/**
 * Opens PGlite, Postgres compiled to WebAssembly running inside this process: in memory, or kept in a folder
 * between runs. One connection, as PGlite's one user (a superuser): statements run one at a time, a
 * transaction holds it until it ends. A statement refused for want of privilege (the audit log's
 * append-only triggers) throws a `ShopError` `GH_SHOP_DB_PERMISSION_DENIED`.
 *
 * @example
 * const db = await openPgliteDatabase({ dataDir: '.data/shop' });
 * await db.query('SELECT 1 AS one'); // [{ one: 1 }]
 */
export async function openPgliteDatabase(options: PgliteDatabaseOptions = {}): Promise<Database> {
  const dataDir = options.dataDir ?? 'memory://';
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create({ dataDir });
  let closing: Promise<void> | undefined;
  const query = async <T>(target: Pick<PGlite, 'query'>, sql: string, params?: readonly SqlValue[]) => {
    try {
      return (await target.query<T>(sql, toParams(params))).rows;
    } catch (error) {
      throw databaseError(error);
    }
  };
  return Object.freeze({
    kind: 'pglite' as const,
    location: dataDir,
    query: <T>(sql: string, params?: readonly SqlValue[]) => query<T>(pglite, sql, params),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      pglite.transaction((tx) =>
        fn({ query: <R>(sql: string, params?: readonly SqlValue[]) => query<R>(tx, sql, params) }),
      ),
    close() {
      closing ??= pglite.closed ? Promise.resolve() : pglite.close();
      return closing;
    },
  });
}
