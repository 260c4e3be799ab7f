import type { PoolClient } from 'pg';
import Client from 'pg/lib/client.js';
import Pool from 'pg-pool';
import pgTypes from 'pg-types';
import type { Database, Queryable, SqlValue } from './database.js';
import { databaseError } from './database-errors.js';

// `pg`'s own entry (`import pg from 'pg'`) would do the same. It is not used because its CommonJS index
// `require`s the dual package `pg-pool`, which loads pg-pool's ESM build (a namespace, not a class) in a
// process started with `--conditions import`, as the repository's Vitest config starts its workers. Client
// and pool are the very classes `pg` exports, taken from their own entry points.

/** Options of {@link openPostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** Connections in the pool; default 10. */
  readonly maxConnections?: number;
  /**
   * A role every connection switches to (`SET ROLE`) as soon as it is made, before it runs anything else,
   * so every statement runs with that role's privileges only. The URL's user must be a member of it (a
   * superuser always is). A connection that cannot switch is closed and its query fails: never run as the
   * URL's user instead. Default: none, statements run as the URL's user.
   */
  readonly role?: string;
}

// `bigint` (int8) as a number, as PGlite answers it: the shop's counters stay far below 2^53.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

/** The server URL with its password masked, for logs. */
function describe(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'postgres://(unparsable url)';
  }
}

/**
 * Opens a pool of connections to a Postgres server through `pg`. Answers the same types as PGlite
 * (`bigint` as a number), so the shop's SQL and code run unchanged on either. With `role`, every connection
 * runs as that role; a statement refused for want of privilege throws a `ShopError`
 * `GH_SHOP_DB_PERMISSION_DENIED`.
 *
 * @example
 * const db = await openPostgresDatabase({ url: process.env.DATABASE_URL! });
 * await db.query('SELECT 1 AS one'); // [{ one: 1 }]
 */
export async function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<Database> {
  const role = options.role;
  const pool = new Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    types,
    Client,
    ...(role === undefined
      ? {}
      : {
          // pg-pool waits for this before it hands the connection out, and closes it if this fails.
          onConnect: (client: Pick<PoolClient, 'query' | 'escapeIdentifier'>) =>
            client.query(`SET ROLE ${client.escapeIdentifier(role)}`),
        }),
  });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  let closing: Promise<void> | undefined;
  const run = async <T>(
    client: Pick<PoolClient, 'query'>,
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<T[]> => {
    try {
      return (await client.query(sql, params ? [...params] : undefined)).rows as T[];
    } catch (error) {
      throw databaseError(error);
    }
  };
  // Fail now, with the server's reason (a wrong password, a role the user may not switch to), rather than at
  // the first request.
  try {
    await run(pool, 'SELECT 1');
  } catch (error) {
    await pool.end();
    throw error;
  }
  return Object.freeze({
    kind: 'postgres' as const,
    location: role ? `${describe(options.url)} as ${role}` : describe(options.url),
    query: <T>(sql: string, params?: readonly SqlValue[]) => run<T>(pool, sql, params),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: <R>(sql: string, params?: readonly SqlValue[]) => run<R>(client, sql, params),
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is destroyed instead of going back to the pool.
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    close() {
      closing ??= pool.end();
      return closing;
    },
  });
}
