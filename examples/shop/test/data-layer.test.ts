import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWith, postgresUrl } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabaseAuditSink,
  type Database,
  listAuditLog,
  migrate,
  openPgliteDatabase,
  openPostgresDatabase,
  openShopDatabase,
  shopMigrations,
  sqlMigration,
} from '../src/index.js';
import { createTestPostgresDatabase, type TestPostgresDatabase } from './support/postgres.js';

/**
 * What a contract run gets: `db`, the database as `openShopDatabase` answers it, which the services use; and
 * `owner`, a connection as the role that migrated it (the same PGlite, or the server URL's own user).
 */
interface OpenedDatabase {
  readonly db: Database;
  readonly owner: Database;
}

/** The audit log's rows, in order, to show that a refused statement changed none of them. */
const auditRows = (db: Database) => db.query('SELECT * FROM audit.events ORDER BY id');

const rewrites = [
  `UPDATE audit.events SET outcome = 'success', reason = NULL`,
  `DELETE FROM audit.events WHERE tenant = 'acme'`,
  'TRUNCATE audit.events',
];

/** The same contract for both implementations: one body, run against PGlite and against a Postgres server. */
function dataLayerContract(open: () => Promise<OpenedDatabase>) {
  let db: Database;
  let owner: Database;
  beforeAll(async () => {
    ({ db, owner } = await open());
  });
  afterAll(async () => {
    if (owner !== db) await owner?.close();
    await db?.close();
  });

  it('answers the same types on both: integers and bigints as numbers, timestamps as Dates, jsonb parsed, arrays', async () => {
    const [row] = await db.query<{
      i: number;
      b: number;
      c: number;
      t: Date;
      j: { a: number[] };
      arr: string[];
      nothing: null;
      yes: boolean;
    }>(
      `SELECT 1::int AS i, 9007199254740::bigint AS b, count(*) AS c, now() AS t, $1::jsonb AS j,
              $2::text[] AS arr, NULL AS nothing, true AS yes
         FROM catalog.categories`,
      [JSON.stringify({ a: [1, 2] }), ['x', 'y']],
    );
    expect(row).toMatchObject({
      i: 1,
      b: 9_007_199_254_740,
      j: { a: [1, 2] },
      arr: ['x', 'y'],
      nothing: null,
    });
    expect(row?.yes).toBe(true);
    expect(typeof row?.c).toBe('number');
    expect(row?.t).toBeInstanceOf(Date);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    // The services' role has no table of its own in `public`: the probe is the owner's.
    await owner.query('CREATE TABLE IF NOT EXISTS public.tx_probe (v text PRIMARY KEY)');
    await owner.transaction(async (tx) => {
      await tx.query('INSERT INTO public.tx_probe VALUES ($1)', ['kept']);
    });
    await expect(
      owner.transaction(async (tx) => {
        await tx.query('INSERT INTO public.tx_probe VALUES ($1)', ['lost']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      owner.transaction(async (tx) => {
        await tx.query('INSERT INTO public.tx_probe VALUES ($1)', ['also lost']);
        await tx.query('INSERT INTO public.tx_probe VALUES ($1)', ['kept']); // unique violation
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const rows = await owner.query<{ v: string }>('SELECT v FROM public.tx_probe ORDER BY v');
    expect(rows.map((row) => row.v)).toEqual(['kept']);
  });

  it('has every schema and the seed: 5 categories, 25 products in INR, order_123 and order_456, acme and globex', async () => {
    const schemas = await db.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname IN ('catalog', 'cart', 'orders', 'profile', 'org', 'audit')
       ORDER BY nspname`,
    );
    expect(schemas.map((row) => row.nspname)).toEqual([
      'audit',
      'cart',
      'catalog',
      'orders',
      'org',
      'profile',
    ]);
    const [counts] = await db.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM catalog.categories) AS categories,
              (SELECT count(*)::int FROM catalog.products) AS products,
              (SELECT count(*)::int FROM catalog.products WHERE currency <> 'INR') AS foreign_prices,
              (SELECT count(*)::int FROM catalog.products WHERE image NOT LIKE 'data:image/svg+xml,%') AS no_image,
              (SELECT count(*)::int FROM org.tenants) AS tenants,
              (SELECT count(*)::int FROM profile.profiles) AS profiles,
              (SELECT count(*)::int FROM audit.events) AS audit`,
    );
    expect(counts).toMatchObject({
      categories: 5,
      products: 25,
      foreign_prices: 0,
      no_image: 0,
      tenants: 2,
      profiles: 7,
    });
    expect(counts?.audit).toBeGreaterThanOrEqual(6);
    const orders = await db.query<{ id: string; owner_id: string; lines: number }>(
      `SELECT o.id, o.owner_id, count(i.*)::int AS lines
         FROM orders.orders o JOIN orders.order_items i ON i.order_id = o.id GROUP BY o.id ORDER BY o.id`,
    );
    expect(orders).toEqual([
      { id: 'order_123', owner_id: 'user_alice', lines: 1 },
      { id: 'order_456', owner_id: 'user_bob', lines: 2 },
    ]);
    const members = await db.query<{ tenant_id: string; user_id: string; role: string }>(
      `SELECT tenant_id, user_id, role FROM org.members WHERE user_id IN ('user_erin', 'user_frank') ORDER BY 1`,
    );
    expect(members).toEqual([
      { tenant_id: 'acme', user_id: 'user_erin', role: 'org_admin' },
      { tenant_id: 'globex', user_id: 'user_frank', role: 'member' },
    ]);
  });

  it('records each migration once: migrating again applies nothing and duplicates no seed row', async () => {
    const before = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog.products');
    const report = await migrate(owner, shopMigrations);
    expect(report.applied).toEqual([]);
    expect(report.skipped).toHaveLength(shopMigrations.length);
    const recorded = await owner.query<{ id: string }>('SELECT id FROM public.shop_migrations ORDER BY id');
    expect(recorded.map((row) => row.id).sort()).toEqual(shopMigrations.map((m) => m.id).sort());
    const after = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog.products');
    expect(after).toEqual(before);
  });

  it('rolls a failing migration back whole and records nothing of it', async () => {
    const broken = [
      ...shopMigrations,
      sqlMigration('test/0001-broken', 'test', [
        'CREATE TABLE public.half_done (v int)',
        'SELECT * FROM public.no_such_table',
      ]),
    ];
    await expect(migrate(owner, broken)).rejects.toMatchObject({ code: '42P01' });
    const [exists] = await db.query<{ t: string | null }>(
      `SELECT to_regclass('public.half_done')::text AS t`,
    );
    expect(exists?.t).toBeNull();
    const recorded = await owner.query('SELECT id FROM public.shop_migrations WHERE id = $1', [
      'test/0001-broken',
    ]);
    expect(recorded).toEqual([]);
  });

  it('refuses a migration list with a repeated id', async () => {
    const first = shopMigrations[0]!;
    await expect(migrate(owner, [first, first])).rejects.toThrow(/listed twice/);
  });

  it('keeps the audit log append-only: the services cannot UPDATE, DELETE or TRUNCATE audit.events', async () => {
    const before = await auditRows(db);
    for (const statement of rewrites) {
      const refused = { name: 'ShopError', code: 'GH_SHOP_DB_PERMISSION_DENIED' };
      await expect(db.query(statement), statement).rejects.toMatchObject(refused);
      await expect(
        db.transaction((tx) => tx.query(statement)),
        statement,
      ).rejects.toMatchObject(refused);
      // PGlite: the trigger's words; Postgres: the grant's (the services' role lacks the privilege).
      await expect(db.query(statement), statement).rejects.toThrow(
        /audit\.events is append-only: (UPDATE|DELETE|TRUNCATE) refused|permission denied for table events/,
      );
    }
    expect(await auditRows(db)).toEqual(before);
  });

  it('refuses a rewrite of the audit log even to the role that migrated it: the triggers stand behind the grants', async () => {
    const before = await auditRows(owner);
    for (const statement of rewrites) {
      const verb = statement.split(' ')[0];
      await expect(owner.query(statement), statement).rejects.toMatchObject({
        code: 'GH_SHOP_DB_PERMISSION_DENIED',
        message: expect.stringContaining(`audit.events is append-only: ${verb} refused`),
      });
    }
    expect(await auditRows(owner)).toEqual(before);
  });

  it('still lets the services append to the audit log and read it back', async () => {
    await createDatabaseAuditSink(db, 'orders').write({
      time: '2026-01-02T03:04:05.000Z',
      action: 'orders.read',
      outcome: 'denied',
      actor: { iss: 'http://localhost:4001', sub: 'user_bob' },
      permission: 'orders:view',
      resource: { type: 'order', id: 'order_123' },
      tenant: 'acme',
      reason: 'not_owner',
      status: 403,
      method: 'GET',
      route: '/orders/:id',
      requestId: 'req-append-only',
    });
    const { items } = await listAuditLog(db, 'acme', { limit: 1 });
    expect(items[0]).toMatchObject({
      service: 'orders',
      action: 'orders.read',
      outcome: 'denied',
      actor: { sub: 'user_bob' },
      time: '2026-01-02T03:04:05.000Z',
    });
  });
}

describe('data layer on PGlite (in memory)', () => {
  dataLayerContract(async () => {
    const db = await openShopDatabase({ memory: true });
    return { db, owner: db };
  });
});

await describeWith(['postgres'], 'data layer on a Postgres server', () => {
  let database: TestPostgresDatabase;
  beforeAll(async () => {
    database = await createTestPostgresDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  dataLayerContract(async () => ({
    db: await openShopDatabase({ url: database.url }),
    owner: await openPostgresDatabase({ url: database.url }),
  }));

  it('runs the services as a role that owns nothing: it cannot alter, drop or switch off the audit log', async () => {
    const db = await openShopDatabase({ url: database.url });
    try {
      const [who] = await db.query<{ role: string; superuser: boolean }>(
        `SELECT current_user AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser`,
      );
      expect(who).toEqual({ role: 'gatehouse_shop_service', superuser: false });
      const before = await auditRows(db);
      for (const statement of [
        'ALTER TABLE audit.events DISABLE TRIGGER ALL',
        'DROP TRIGGER events_append_only ON audit.events',
        'DROP TABLE audit.events',
        `CREATE OR REPLACE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'`,
        `INSERT INTO audit.events (id, time, service, action, outcome, status, method, route, request_id)
           OVERRIDING SYSTEM VALUE VALUES (1, now(), 'x', 'x', 'success', 200, 'GET', '/', 'forged')`,
        `INSERT INTO audit.events (time, service, action, outcome, status, method, route, request_id, seed_key)
           VALUES (now(), 'x', 'x', 'success', 200, 'GET', '/', 'forged', 'seed-acme-created-2')`,
      ]) {
        await expect(db.query(statement), statement).rejects.toMatchObject({
          code: 'GH_SHOP_DB_PERMISSION_DENIED',
        });
      }
      expect(await auditRows(db)).toEqual(before);
    } finally {
      await db.close();
    }
  });

  it('never hands out a connection that could not switch to its role: opening fails instead', async () => {
    await expect(
      openPostgresDatabase({ url: database.url, role: 'gh_test_no_such_role' }),
    ).rejects.toMatchObject({ code: '22023', message: expect.stringContaining('gh_test_no_such_role') });
  });

  it('migrates as an owner that is no superuser (CREATEROLE), whose services cannot rewrite the audit log either', async () => {
    const owned = await createTestPostgresDatabase({ ownedByRole: true });
    try {
      const db = await openShopDatabase({ url: owned.url });
      const owner = await openPostgresDatabase({ url: owned.url });
      try {
        const [who] = await db.query<{ role: string; owner: string }>(
          `SELECT current_user AS role, tableowner AS owner FROM pg_tables
            WHERE schemaname = 'audit' AND tablename = 'events'`,
        );
        expect(who).toEqual({ role: 'gatehouse_shop_service', owner: owned.name });
        const before = await auditRows(owner);
        for (const statement of rewrites) {
          await expect(db.query(statement), statement).rejects.toThrow(/permission denied for table events/);
          await expect(owner.query(statement), statement).rejects.toThrow(/audit\.events is append-only/);
        }
        expect(await auditRows(owner)).toEqual(before);
      } finally {
        await Promise.all([db.close(), owner.close()]);
      }
    } finally {
      await owned.drop();
    }
  });

  it('with DATABASE_MIGRATION_URL, runs the services as a login role of their own: switching role back gains nothing', async () => {
    const split = await createTestPostgresDatabase();
    const app = `gh_test_app_${randomBytes(6).toString('hex')}`;
    const admin = await openPostgresDatabase({ url: postgresUrl, maxConnections: 1 });
    try {
      await (await openShopDatabase({ url: split.url })).close(); // makes the role, if this server has none yet
      await admin.query(`CREATE ROLE ${app} LOGIN`);
      await admin.query(`GRANT gatehouse_shop_service TO ${app}`);
      const appUrl = new URL(split.url);
      appUrl.username = app;
      // The app's user could not even create public.shop_migrations: the owner's URL migrates.
      const db = await openShopDatabase({
        env: { DATABASE_URL: appUrl.href, DATABASE_MIGRATION_URL: split.url },
      });
      try {
        const asItself = <T>(statement: string) =>
          db.transaction(async (tx) => {
            await tx.query('SET ROLE NONE');
            return tx.query<T>(statement);
          });
        expect(await asItself('SELECT current_user AS role, session_user AS login')).toEqual([
          { role: app, login: app },
        ]);
        const before = await auditRows(db);
        for (const statement of [
          ...rewrites,
          'ALTER TABLE audit.events DISABLE TRIGGER ALL',
          'SET ROLE postgres',
          'ALTER ROLE CURRENT_USER SUPERUSER',
        ]) {
          await expect(asItself(statement), statement).rejects.toMatchObject({
            code: 'GH_SHOP_DB_PERMISSION_DENIED',
          });
        }
        expect(await auditRows(db)).toEqual(before);
      } finally {
        await db.close();
      }
    } finally {
      await split.drop();
      await admin.query(`DROP ROLE IF EXISTS ${app}`);
      await admin.close();
    }
  });

  it('lets two processes migrate one database at once: each step applies once', async () => {
    const extra = await createTestPostgresDatabase();
    try {
      const [a, b] = await Promise.all([openPostgresFresh(extra.url), openPostgresFresh(extra.url)]);
      const reports = await Promise.all([migrate(a, shopMigrations), migrate(b, shopMigrations)]);
      expect(reports.map((r) => r.applied.length).sort((x, y) => x - y)).toEqual([0, shopMigrations.length]);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await extra.drop();
    }
  });
});

async function openPostgresFresh(url: string): Promise<Database> {
  const { openPostgresDatabase } = await import('../src/index.js');
  return openPostgresDatabase({ url });
}

describe("the services' role", () => {
  it('is refused when a role of its name already exists as a superuser: its grants would mean nothing', async () => {
    const db = await openPgliteDatabase({ dataDir: 'memory://' });
    try {
      await db.query('CREATE ROLE gatehouse_shop_service NOLOGIN SUPERUSER');
      await expect(migrate(db, shopMigrations)).rejects.toThrow(
        /role gatehouse_shop_service is a superuser or bypasses row security/,
      );
      expect(await db.query(`SELECT to_regclass('audit.events') AS t`)).toEqual([{ t: null }]);
    } finally {
      await db.close();
    }
  });
});

describe('PGlite kept in a folder', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gh-shop-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps data across a restart and does not seed twice', async () => {
    const first = await openShopDatabase({ dataDir: dir });
    await first.query(`UPDATE catalog.products SET stock = 7, name = 'Renamed Tawa' WHERE id = 'prod_tawa'`);
    await first.query(
      `INSERT INTO cart.items (user_id, product_id, quantity) VALUES ('user_alice', 'prod_tawa', 2)`,
    );
    await first.close();

    const again = await openShopDatabase({ dataDir: dir });
    try {
      const [tawa] = await again.query<{ stock: number; name: string }>(
        `SELECT stock, name FROM catalog.products WHERE id = 'prod_tawa'`,
      );
      expect(tawa).toEqual({ stock: 7, name: 'Renamed Tawa' });
      const cart = await again.query(`SELECT quantity FROM cart.items WHERE user_id = 'user_alice'`);
      expect(cart).toEqual([{ quantity: 2 }]);
      const [counts] = await again.query<{
        products: number;
        orders: number;
        audit: number;
        members: number;
      }>(
        `SELECT (SELECT count(*)::int FROM catalog.products) AS products,
                (SELECT count(*)::int FROM orders.orders) AS orders,
                (SELECT count(*)::int FROM audit.events) AS audit,
                (SELECT count(*)::int FROM org.members) AS members`,
      );
      expect(counts).toEqual({ products: 25, orders: 2, audit: 6, members: 7 });
    } finally {
      await again.close();
    }
  });
});
