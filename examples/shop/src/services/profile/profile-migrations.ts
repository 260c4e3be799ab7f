import { type Migration, sqlMigration } from '../../db/migrate.js';
import { grantSchemaToServices } from '../../db/shop-service-role.js';

/** The profile service's schema `profile`: one profile per user (seeded for the seven demo users) and wishlists. */
export const profileMigrations: readonly Migration[] = [
  sqlMigration('profile/0001-profiles', 'profile', [
    'CREATE SCHEMA IF NOT EXISTS profile',
    `CREATE TABLE profile.profiles (
       user_id text PRIMARY KEY,
       display_name text NOT NULL,
       email text NOT NULL DEFAULT '',
       phone text NOT NULL DEFAULT '',
       locale text NOT NULL DEFAULT 'en-IN',
       currency text NOT NULL DEFAULT 'INR',
       marketing_opt_in boolean NOT NULL DEFAULT false,
       default_address jsonb,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
  ]),
  {
    id: 'profile/0002-seed',
    service: 'profile',
    async run(tx) {
      const people = [
        ['user_alice', 'Alice', 'alice@example.com', '+91 98450 12345', 'en-IN', 'INR'],
        ['user_bob', 'Bob', 'bob@example.com', '+91 98200 67890', 'en-US', 'USD'],
        ['user_carol', 'Carol', 'carol@example.com', '', 'en-GB', 'GBP'],
        ['user_dave', 'Dave', 'dave@example.com', '', 'de-DE', 'EUR'],
        ['user_erin', 'Erin', 'erin@example.com', '', 'fr-FR', 'EUR'],
        ['user_frank', 'Frank', 'frank@example.com', '', 'ja-JP', 'JPY'],
      ] as const;
      for (const [id, name, email, phone, locale, currency] of people) {
        await tx.query(
          `INSERT INTO profile.profiles (user_id, display_name, email, phone, locale, currency)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO NOTHING`,
          [id, name, email, phone, locale, currency],
        );
      }
    },
  },
  sqlMigration('profile/0003-wishlist', 'profile', [
    `CREATE TABLE profile.wishlist (
       user_id text NOT NULL,
       product_id text NOT NULL,
       added_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (user_id, product_id)
     )`,
  ]),
  {
    id: 'profile/0004-wishlist-seed',
    service: 'profile',
    async run(tx) {
      for (const [user, product, daysAgo] of [
        ['user_alice', 'prod_smartwatch', 6],
        ['user_alice', 'prod_book_cookbook', 2],
        ['user_bob', 'prod_cricket_bat', 4],
      ] as const) {
        await tx.query(
          `INSERT INTO profile.wishlist (user_id, product_id, added_at)
           VALUES ($1, $2, now() - make_interval(days => $3)) ON CONFLICT DO NOTHING`,
          [user, product, daysAgo],
        );
      }
    },
  },
  grantSchemaToServices('profile/0005-service-role', 'profile'),
  {
    // grace joined the demo users later (a member of two organisations): a migration of her own, so that a
    // database seeded before her gets her too.
    id: 'profile/0006-seed-grace',
    service: 'profile',
    async run(tx) {
      await tx.query(
        `INSERT INTO profile.profiles (user_id, display_name, email, phone, locale, currency)
         VALUES ('user_grace', 'Grace', 'grace@example.com', '', 'en-IN', 'INR') ON CONFLICT (user_id) DO NOTHING`,
      );
    },
  },
];
