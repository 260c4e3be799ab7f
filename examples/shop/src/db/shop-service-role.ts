import { type Migration, sqlMigration } from './migrate.js';

/**
 * The role the shop's services run as on a Postgres server (`openShopDatabase` switches every connection
 * to it): `NOLOGIN`, owning nothing, with no privilege but the grants the services' migrations give it —
 * read and write the rows of each service's schema; on `audit.events`, only SELECT and INSERT.
 */
export const SHOP_SERVICE_ROLE = 'gatehouse_shop_service';

/**
 * `shop/0001-service-role`: creates {@link SHOP_SERVICE_ROLE} unless it exists (roles belong to the whole
 * server: another database's shop may have made it, even at the same moment), refuses one that is a
 * superuser or bypasses row security (its grants would mean nothing), and makes the migrating role a
 * member so its connections may `SET ROLE` to it (a superuser always may; a `CREATEROLE` owner is granted
 * it). On PGlite, whose one user is a superuser, it runs the same.
 */
export const shopServiceRoleMigration: Migration = sqlMigration('shop/0001-service-role', 'shop', [
  `DO $$
   BEGIN
     IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${SHOP_SERVICE_ROLE}') THEN
       BEGIN
         CREATE ROLE ${SHOP_SERVICE_ROLE} NOLOGIN;
       EXCEPTION WHEN duplicate_object OR unique_violation THEN
         NULL; -- created meanwhile by the migration of another database on this server
       END;
     END IF;
     IF EXISTS (SELECT FROM pg_roles WHERE rolname = '${SHOP_SERVICE_ROLE}' AND (rolsuper OR rolbypassrls)) THEN
       RAISE EXCEPTION 'role ${SHOP_SERVICE_ROLE} is a superuser or bypasses row security: the shop''s services must not run as one';
     END IF;
     -- Postgres 16 split membership into options: SET is the one SET ROLE needs.
     IF NOT pg_has_role(current_user, '${SHOP_SERVICE_ROLE}',
                        CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) THEN
       EXECUTE format('GRANT %I TO %I', '${SHOP_SERVICE_ROLE}', current_user);
     END IF;
   END $$`,
]);

/**
 * A service's migration that lets {@link SHOP_SERVICE_ROLE} use its schema and read and write the rows of
 * every table in it now (SELECT, INSERT, UPDATE, DELETE: no TRUNCATE, no DDL). A table created later needs
 * a grant of its own, in the migration that creates it.
 *
 * @example
 * export const cartMigrations = [sqlMigration('cart/0001-items', 'cart', […]), grantSchemaToServices('cart/0002-service-role', 'cart')];
 */
export function grantSchemaToServices(id: string, schema: string): Migration {
  return sqlMigration(id, schema, [
    `GRANT USAGE ON SCHEMA ${schema} TO ${SHOP_SERVICE_ROLE}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${SHOP_SERVICE_ROLE}`,
  ]);
}
