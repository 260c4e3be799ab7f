import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWith } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrate, openShopDatabase, shopMigrations, sqlMigration } from '../src/index.js';
import { createTestPostgresDatabase, type TestPostgresDatabase } from './support/postgres.js';

/** The same contract for both implementations: one body, run against PGlite and against a Postgres server. */
function dataLayerContract(open: () => Promise<Database>) {
  let db: Database;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
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
    await db.query('CREATE TABLE IF NOT EXISTS public.tx_probe (v text PRIMARY KEY)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO public.tx_probe VALUES ($1)', ['kept']);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO public.tx_probe VALUES ($1)', ['lost']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO public.tx_probe VALUES ($1)', ['also lost']);
        await tx.query('INSERT INTO public.tx_probe VALUES ($1)', ['kept']); // unique violation
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const rows = await db.query<{ v: string }>('SELECT v FROM public.tx_probe ORDER BY v');
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
      profiles: 6,
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
    const report = await migrate(db, shopMigrations);
    expect(report.applied).toEqual([]);
    expect(report.skipped).toHaveLength(shopMigrations.length);
    const recorded = await db.query<{ id: string }>('SELECT id FROM public.shop_migrations ORDER BY id');
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
    await expect(migrate(db, broken)).rejects.toMatchObject({ code: '42P01' });
    const [exists] = await db.query<{ t: string | null }>(
      `SELECT to_regclass('public.half_done')::text AS t`,
    );
    expect(exists?.t).toBeNull();
    const recorded = await db.query('SELECT id FROM public.shop_migrations WHERE id = $1', [
      'test/0001-broken',
    ]);
    expect(recorded).toEqual([]);
  });

  it('refuses a migration list with a repeated id', async () => {
    const first = shopMigrations[0]!;
    await expect(migrate(db, [first, first])).rejects.toThrow(/listed twice/);
  });
}

describe('data layer on PGlite (in memory)', () => {
  dataLayerContract(() => openShopDatabase({ memory: true }));
});

await describeWith(['postgres'], 'data layer on a Postgres server', () => {
  let database: TestPostgresDatabase;
  beforeAll(async () => {
    database = await createTestPostgresDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  dataLayerContract(() => openShopDatabase({ url: database.url }));

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
      expect(counts).toEqual({ products: 25, orders: 2, audit: 6, members: 5 });
    } finally {
      await again.close();
    }
  });
});
