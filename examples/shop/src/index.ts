export { type Database, type Queryable, type SqlValue, sqlState } from './db/database.js';
export { type Migration, type MigrationReport, migrate, sqlMigration } from './db/migrate.js';
export {
  defaultShopDataDir,
  type OpenShopDatabaseOptions,
  openShopDatabase,
} from './db/open-shop-database.js';
export { openPgliteDatabase, type PgliteDatabaseOptions } from './db/pglite-database.js';
export { openPostgresDatabase, type PostgresDatabaseOptions } from './db/postgres-database.js';
export { shopMigrations } from './db/shop-migrations.js';
export { grantSchemaToServices, SHOP_SERVICE_ROLE } from './db/shop-service-role.js';
export { DeliveryAddress, type DeliveryAddressValue } from './lib/address.js';
export {
  CASH_ON_DELIVERY_LIMIT_MINOR,
  memberPrice,
  SHOP_CURRENCY,
  STEP_UP_ORDER_MINOR,
  shippingFor,
} from './lib/money.js';
export { type ServiceOptions, SHOP_AUDIENCE, shopServiceAudiences } from './lib/service-app.js';
export { requireServiceKey, SERVICE_KEY_HEADER } from './lib/service-key.js';
export { ShopError, type ShopErrorCode } from './lib/shop-error.js';
export { requireSecondFactor, SECOND_FACTOR } from './lib/step-up.js';
export { type AuditLogEntry, type AuditLogPage, listAuditLog } from './services/audit/audit-log.js';
export { createDatabaseAuditSink } from './services/audit/database-audit-sink.js';
export {
  buildCartService,
  type Cart,
  type CartLine,
  type CartServiceOptions,
  MAX_QUANTITY,
} from './services/cart/cart-service.js';
export { buildCatalogService, type Product, type ReservedLine } from './services/catalog/catalog-service.js';
export {
  buildCheckoutService,
  type CheckoutServiceOptions,
  type PaymentMethodOption,
} from './services/checkout/checkout-service.js';
export {
  buildOrdersService,
  type Order,
  type OrderLine,
  type OrderSummary,
  type PaymentMethod,
  paymentMethods,
} from './services/orders/orders-service.js';
export {
  BillingPatch,
  buildOrgService,
  type OrgBilling,
  type OrgMember,
} from './services/org/org-service.js';
export {
  buildProfileService,
  MAX_WISHLIST,
  type Profile,
  ProfilePatch,
  type ProfileServiceOptions,
  type WishlistItem,
} from './services/profile/profile-service.js';
export { shopRoleMaps, shopRolePermissions, shopTenantRolePermissions } from './shop-roles.js';
export { shopTenantTokens } from './shop-tenancy.js';
export {
  defaultShopPorts,
  type ShopPorts,
  type ShopService,
  type ShopUpstream,
  type ShopUpstreamName,
  shopUpstreams,
} from './shop-upstreams.js';
export {
  defaultStartPorts,
  type RunningShop,
  type ShopStartPorts,
  type StartShopOptions,
  startShop,
} from './start-shop.js';
export {
  type ShopApis,
  type StartShopApisOptions,
  startShopApis,
} from './start-shop-apis.js';
export { type RemotesOrigin, type RemotesOriginOptions, startRemotesOrigin } from './web/remotes-origin.js';
export {
  type AssetsRule,
  type BuiltShop,
  loadShopWeb,
  mayLoad,
  type NavigationRule,
  type ShopWeb,
  shopWebRoot,
} from './web/shop-page.js';
