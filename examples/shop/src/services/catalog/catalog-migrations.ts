import { type Migration, sqlMigration } from '../../db/migrate.js';
import { grantSchemaToServices } from '../../db/shop-service-role.js';
import { seedCategories, seedProducts } from './catalog-seed.js';
import { productImage } from './product-image.js';

/** The catalog service's schema `catalog`: categories and products (with prices in paise and stock). */
export const catalogMigrations: readonly Migration[] = [
  sqlMigration('catalog/0001-categories-products', 'catalog', [
    'CREATE SCHEMA IF NOT EXISTS catalog',
    `CREATE TABLE catalog.categories (
       slug text PRIMARY KEY CHECK (slug ~ '^[a-z0-9-]{1,64}$'),
       name text NOT NULL,
       description text NOT NULL DEFAULT '',
       position integer NOT NULL DEFAULT 0
     )`,
    `CREATE TABLE catalog.products (
       id text PRIMARY KEY CHECK (id ~ '^[a-z0-9_]{1,64}$'),
       category_slug text NOT NULL REFERENCES catalog.categories (slug),
       name text NOT NULL,
       brand text NOT NULL DEFAULT '',
       description text NOT NULL DEFAULT '',
       price_minor integer NOT NULL CHECK (price_minor > 0),
       currency text NOT NULL DEFAULT 'INR',
       member_discount_percent integer NOT NULL DEFAULT 5 CHECK (member_discount_percent BETWEEN 0 AND 50),
       stock integer NOT NULL CHECK (stock >= 0),
       rating integer NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 50),
       image text NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       updated_by text
     )`,
    'CREATE INDEX products_by_category ON catalog.products (category_slug, name)',
  ]),
  {
    id: 'catalog/0002-seed',
    service: 'catalog',
    async run(tx) {
      for (const [position, category] of seedCategories.entries()) {
        await tx.query(
          `INSERT INTO catalog.categories (slug, name, description, position) VALUES ($1, $2, $3, $4)
           ON CONFLICT (slug) DO NOTHING`,
          [category.slug, category.name, category.description, position],
        );
      }
      const colors = new Map(seedCategories.map((category) => [category.slug, category.color]));
      for (const product of seedProducts) {
        await tx.query(
          `INSERT INTO catalog.products
             (id, category_slug, name, brand, description, price_minor, stock, rating, image)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (id) DO NOTHING`,
          [
            product.id,
            product.category,
            product.name,
            product.brand,
            product.description,
            product.priceMinor,
            product.stock,
            product.rating,
            productImage(product.name, colors.get(product.category) ?? '#334155'),
          ],
        );
      }
    },
  },
  grantSchemaToServices('catalog/0003-service-role', 'catalog'),
];
