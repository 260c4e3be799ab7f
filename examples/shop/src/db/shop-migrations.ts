import { auditMigrations } from '../services/audit/audit-migrations.js';
import { cartMigrations } from '../services/cart/cart-migrations.js';
import { catalogMigrations } from '../services/catalog/catalog-migrations.js';
import { ordersMigrations } from '../services/orders/orders-migrations.js';
import { orgMigrations } from '../services/org/org-migrations.js';
import { profileMigrations } from '../services/profile/profile-migrations.js';
import type { Migration } from './migrate.js';
import { shopServiceRoleMigration } from './shop-service-role.js';

/**
 * Every migration of the shop, in the order they apply: the services' role first (each service's grants
 * name it), then each service's own schema, its seed data right after it, its grants to the services' role
 * last. Append new steps at the end of a service's list; never edit or reorder shipped ones.
 */
export const shopMigrations: readonly Migration[] = Object.freeze([
  shopServiceRoleMigration,
  ...auditMigrations,
  ...catalogMigrations,
  ...cartMigrations,
  ...ordersMigrations,
  ...profileMigrations,
  ...orgMigrations,
]);
