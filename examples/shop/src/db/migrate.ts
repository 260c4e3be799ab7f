import type { Database, Queryable } from './database.js';

/**
 * One versioned step of a service's schema or seed data. It runs once per database, inside the migration
 * transaction, and is then recorded in `public.shop_migrations`.
 */
export interface Migration {
  /** Unique and stable: `<service>/<number>-<what>` (`catalog/0001-products`). Never renamed once shipped. */
  readonly id: string;
  /** The service (and Postgres schema) that owns what this step creates. */
  readonly service: string;
  /** The step. Seed steps write with `ON CONFLICT DO NOTHING`, so even a re-run never duplicates. */
  run(tx: Queryable): Promise<void>;
}

/** A migration made of plain SQL statements, run in order. */
export function sqlMigration(id: string, service: string, statements: readonly string[]): Migration {
  return Object.freeze({
    id,
    service,
    async run(tx: Queryable) {
      for (const statement of statements) await tx.query(statement);
    },
  });
}

/** What {@link migrate} did. */
export interface MigrationReport {
  /** Ids applied by this call, in order. */
  readonly applied: readonly string[];
  /** Ids that were already recorded. */
  readonly skipped: readonly string[];
}

// Any constant will do: it only has to be the same for every process migrating this database.
const LOCK_KEY = 724_311_105;

/**
 * Applies the migrations not yet recorded, in the given order, all in one transaction under an advisory
 * lock, so two processes starting together on one Postgres server never apply a step twice, and a failing
 * step leaves the database as it was.
 *
 * @example
 * const { applied } = await migrate(db, shopMigrations); // ['catalog/0001-products', …] the first time, [] after
 */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<MigrationReport> {
  const ids = new Set<string>();
  for (const migration of migrations) {
    if (ids.has(migration.id)) throw new Error(`migration ${migration.id} is listed twice`);
    ids.add(migration.id);
  }
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS public.shop_migrations (
         id text PRIMARY KEY,
         service text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set(
      (await tx.query<{ id: string }>('SELECT id FROM public.shop_migrations')).map((row) => row.id),
    );
    const applied: string[] = [];
    const skipped: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) {
        skipped.push(migration.id);
        continue;
      }
      await migration.run(tx);
      await tx.query('INSERT INTO public.shop_migrations (id, service) VALUES ($1, $2)', [
        migration.id,
        migration.service,
      ]);
      applied.push(migration.id);
    }
    return { applied, skipped };
  });
}
