import { auditMigrations } from '../services/audit/audit-migrations.js';
import { cartMigrations } from '../services/cart/cart-migrations.js';
import { catalogMigrations } from '../services/catalog/catalog-migrations.js';
import { ordersMigrations } from '../services/orders/orders-migrations.js';
import { orgMigrations } from '../services/org/org-migrations.js';
import { profileMigrations } from '../services/profile/profile-migrations.js';
import type { Migration } from './migrate.js';

/**
 * Every migration of the shop, in the order they apply: each service's own schema, its seed data right
 * after it. Append new steps at the end of a service's list; never edit or reorder shipped ones.
 */
export const shopMigrations: readonly Migration[] = Object.freeze([
  ...auditMigrations,
  ...catalogMigrations,
  ...cartMigrations,
  ...ordersMigrations,
  ...profileMigrations,
  ...orgMigrations,
]);
