import { type Migration, sqlMigration } from '../../db/migrate.js';
import { grantSchemaToServices } from '../../db/shop-service-role.js';

/**
 * The org service's schema `org`: the shop's user directory (for the admin area), tenants, their members
 * and billing. Seeded with the demo users, acme (erin as org admin) and globex (frank as member).
 */
export const orgMigrations: readonly Migration[] = [
  sqlMigration('org/0001-users-tenants-billing', 'org', [
    'CREATE SCHEMA IF NOT EXISTS org',
    `CREATE TABLE org.users (
       id text PRIMARY KEY,
       display_name text NOT NULL,
       email text NOT NULL,
       roles text[] NOT NULL DEFAULT '{}',
       status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'invited', 'suspended')),
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE org.tenants (
       id text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{1,64}$'),
       name text NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE org.members (
       tenant_id text NOT NULL REFERENCES org.tenants (id),
       user_id text NOT NULL REFERENCES org.users (id),
       role text NOT NULL CHECK (role IN ('org_admin', 'member')),
       joined_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (tenant_id, user_id)
     )`,
    `CREATE TABLE org.billing (
       tenant_id text PRIMARY KEY REFERENCES org.tenants (id),
       plan text NOT NULL CHECK (plan IN ('starter', 'business', 'enterprise')),
       email text NOT NULL,
       seats integer NOT NULL CHECK (seats > 0),
       updated_at timestamptz NOT NULL DEFAULT now(),
       updated_by text
     )`,
  ]),
  {
    id: 'org/0002-seed',
    service: 'org',
    async run(tx) {
      const users = [
        ['user_alice', 'Alice', 'alice@example.com', ['customer'], 'active'],
        ['user_bob', 'Bob', 'bob@example.com', ['customer'], 'active'],
        ['user_carol', 'Carol', 'carol@example.com', ['support'], 'active'],
        ['user_dave', 'Dave', 'dave@example.com', ['store_manager'], 'active'],
        ['user_erin', 'Erin', 'erin@example.com', ['admin'], 'active'],
        ['user_frank', 'Frank', 'frank@example.com', ['customer'], 'active'],
        ['user_priya', 'Priya Raman', 'priya@acme.example', ['customer'], 'active'],
        ['user_arjun', 'Arjun Mehta', 'arjun@acme.example', ['customer'], 'invited'],
        ['user_hana', 'Hana Sato', 'hana@globex.example', ['customer'], 'active'],
      ] as const;
      for (const [id, name, email, roles, status] of users) {
        await tx.query(
          `INSERT INTO org.users (id, display_name, email, roles, status) VALUES ($1, $2, $3, $4::text[], $5)
           ON CONFLICT (id) DO NOTHING`,
          [id, name, email, [...roles], status],
        );
      }
      const tenants = [
        ['acme', 'Acme Corporation', 30, 'business', 'billing@acme.example', 25],
        ['globex', 'Globex Industries', 21, 'starter', 'accounts@globex.example', 5],
      ] as const;
      for (const [id, name, daysAgo, plan, email, seats] of tenants) {
        await tx.query(
          `INSERT INTO org.tenants (id, name, created_at) VALUES ($1, $2, now() - make_interval(days => $3))
           ON CONFLICT (id) DO NOTHING`,
          [id, name, daysAgo],
        );
        await tx.query(
          `INSERT INTO org.billing (tenant_id, plan, email, seats) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id) DO NOTHING`,
          [id, plan, email, seats],
        );
      }
      const members = [
        ['acme', 'user_erin', 'org_admin', 29],
        ['acme', 'user_priya', 'member', 14],
        ['acme', 'user_arjun', 'member', 1],
        ['globex', 'user_frank', 'member', 20],
        ['globex', 'user_hana', 'org_admin', 21],
      ] as const;
      for (const [tenant, user, role, daysAgo] of members) {
        await tx.query(
          `INSERT INTO org.members (tenant_id, user_id, role, joined_at)
           VALUES ($1, $2, $3, now() - make_interval(days => $4)) ON CONFLICT DO NOTHING`,
          [tenant, user, role, daysAgo],
        );
      }
    },
  },
  grantSchemaToServices('org/0003-service-role', 'org'),
  {
    // grace, a member of acme and org admin of globex, joined the demo users later: a migration of her own, so
    // that a database seeded before her gets her too.
    id: 'org/0004-seed-grace',
    service: 'org',
    async run(tx) {
      await tx.query(
        `INSERT INTO org.users (id, display_name, email, roles, status)
         VALUES ('user_grace', 'Grace', 'grace@example.com', ARRAY['customer'], 'active') ON CONFLICT (id) DO NOTHING`,
      );
      for (const [tenant, role, daysAgo] of [
        ['acme', 'member', 9],
        ['globex', 'org_admin', 12],
      ] as const) {
        await tx.query(
          `INSERT INTO org.members (tenant_id, user_id, role, joined_at)
           VALUES ($1, 'user_grace', $2, now() - make_interval(days => $3)) ON CONFLICT DO NOTHING`,
          [tenant, role, daysAgo],
        );
      }
    },
  },
];
