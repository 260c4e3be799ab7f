import { type Migration, sqlMigration } from '../../db/migrate.js';
import { grantSchemaToServices } from '../../db/shop-service-role.js';

/** The cart service's schema `cart`: one row per user and product. The cart starts empty: no seed. */
export const cartMigrations: readonly Migration[] = [
  sqlMigration('cart/0001-items', 'cart', [
    'CREATE SCHEMA IF NOT EXISTS cart',
    `CREATE TABLE cart.items (
       user_id text NOT NULL,
       product_id text NOT NULL,
       quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10),
       added_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (user_id, product_id)
     )`,
  ]),
  grantSchemaToServices('cart/0002-service-role', 'cart'),
];
