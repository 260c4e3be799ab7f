import { ShopError } from '../lib/shop-error.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { shopDataDir } from './shop-data-dir.js';
import { shopMigrations } from './shop-migrations.js';
import { SHOP_SERVICE_ROLE } from './shop-service-role.js';

/** Options of {@link openShopDatabase}; with none, `DATABASE_URL` or else PGlite in `<repo>/.data/shop`. */
export interface OpenShopDatabaseOptions {
  /** A Postgres server (`postgres://…`). Default: the `DATABASE_URL` environment variable. */
  readonly url?: string;
  /**
   * The same database as the owner that migrates it, when the services connect (`url`) as a login role of
   * their own: a member of {@link SHOP_SERVICE_ROLE}, owning nothing. Default: `DATABASE_MIGRATION_URL`
   * when the URL is `DATABASE_URL`'s, else `url` itself (the URL's user migrates, the services switch to
   * the role).
   */
  readonly migrationUrl?: string;
  /** PGlite's folder; default `<repo root>/.data/shop` (or `GATEHOUSE_SHOP_DATA_DIR`). */
  readonly dataDir?: string;
  /** A throw-away PGlite in memory (tests). */
  readonly memory?: boolean;
  /**
   * Where `DATABASE_URL`, `DATABASE_MIGRATION_URL` and `GATEHOUSE_SHOP_DATA_DIR` are read from; default
   * `process.env`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export { defaultShopDataDir } from './shop-data-dir.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/**
 * Opens the shop's database, applies the migrations and seed data it does not have yet, and answers it
 * ready to use. Choice, first match wins: `url`, `dataDir`, `memory`, `DATABASE_URL`,
 * `GATEHOUSE_SHOP_DATA_DIR`, then PGlite in {@link defaultShopDataDir}. Opening it again (a restart) keeps
 * every row and adds no seed twice.
 *
 * On a Postgres server the migrations run as the owner (`migrationUrl`'s user, by default the URL's: a
 * superuser, or a database owner with `CREATEROLE`), and the database answered runs every statement as
 * {@link SHOP_SERVICE_ROLE}: it reads and writes the services' rows, appends to the audit log and reads it,
 * and can do nothing else (no UPDATE, DELETE or TRUNCATE of `audit.events`, no DDL). On PGlite it is
 * PGlite's one user; triggers keep the audit log append-only there (and on a server too).
 *
 * @example
 * const db = await openShopDatabase();                       // PGlite in .data/shop, or DATABASE_URL
 * const test = await openShopDatabase({ memory: true });      // in memory
 * const server = await openShopDatabase({ url: 'postgres://postgres@127.0.0.1:5432/shop' });
 * const split = await openShopDatabase({ url: 'postgres://shop_app@db/shop', migrationUrl: 'postgres://shop_owner@db/shop' });
 */
export async function openShopDatabase(options: OpenShopDatabaseOptions = {}): Promise<Database> {
  const env = options.env ?? process.env;
  const fromEnv = options.url === undefined && !options.dataDir && !options.memory;
  const url = options.url ?? (fromEnv ? env.DATABASE_URL || undefined : undefined);
  const migrationUrl =
    options.migrationUrl ?? (fromEnv && url ? env.DATABASE_MIGRATION_URL || undefined : undefined);
  const problems: string[] = [];
  if (url !== undefined && !POSTGRES_URL.test(url)) problems.push('url: not a postgres:// URL');
  if (migrationUrl !== undefined && !POSTGRES_URL.test(migrationUrl)) {
    problems.push('migrationUrl: not a postgres:// URL');
  } else if (migrationUrl !== undefined && !url) {
    problems.push('migrationUrl: only with a url (or DATABASE_URL)');
  }
  if (problems.length > 0) throw new ShopError('GH_SHOP_OPTIONS_INVALID', problems);
  if (url) {
    // Migrate as the owner (who owns what it creates), then hand out connections as the services' role.
    const owner = await openPostgresDatabase({ url: migrationUrl ?? url, maxConnections: 1 });
    try {
      await migrate(owner, shopMigrations);
    } finally {
      await owner.close();
    }
    return openPostgresDatabase({ url, role: SHOP_SERVICE_ROLE });
  }
  const db = await openPgliteDatabase({
    dataDir: options.memory ? 'memory://' : (options.dataDir ?? shopDataDir(env)),
  });
  try {
    await migrate(db, shopMigrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
