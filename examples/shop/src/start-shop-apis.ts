import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Database } from './db/database.js';
import type { ServiceOptions } from './lib/service-app.js';
import { ShopError } from './lib/shop-error.js';
import { buildCartService } from './services/cart/cart-service.js';
import { buildCatalogService } from './services/catalog/catalog-service.js';
import { buildCheckoutService } from './services/checkout/checkout-service.js';
import { buildOrdersService } from './services/orders/orders-service.js';
import { buildOrgService } from './services/org/org-service.js';
import { buildProfileService } from './services/profile/profile-service.js';
import { defaultShopPorts, type ShopPorts, type ShopService } from './shop-upstreams.js';

function checkOptions(options: StartShopApisOptions, ports: Record<string, unknown>): void {
  const problems: string[] = [];
  if (!options.db || typeof options.db.query !== 'function')
    problems.push('db: not a Database (use openShopDatabase())');
  if (typeof options.issuer !== 'string' || !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(options.issuer)) {
    problems.push('issuer: not an http(s) URL');
  }
  for (const [service, port] of Object.entries(ports)) {
    if (!(service in defaultShopPorts)) problems.push(`ports.${service}: no such service`);
    else if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65_535) {
      problems.push(`ports.${service}: not a port (0-65535)`);
    }
  }
  if (
    options.serviceKey !== undefined &&
    (typeof options.serviceKey !== 'string' || options.serviceKey.length < 32)
  ) {
    problems.push('serviceKey: at least 32 characters');
  }
  if (problems.length > 0) throw new ShopError('GH_SHOP_OPTIONS_INVALID', problems);
}

/** Options of {@link startShopApis}. */
export interface StartShopApisOptions {
  /** The shop's database, from `openShopDatabase()`. It stays open: the caller closes it. */
  readonly db: Database;
  /** The OpenID Connect issuer whose access tokens the services accept (`http://localhost:4001`). */
  readonly issuer: string;
  /** Ports by service (`0` picks a free one); default {@link defaultShopPorts}. */
  readonly ports?: Partial<ShopPorts>;
  /** Listening address; default `127.0.0.1` (the services are never meant to face browsers). */
  readonly host?: string;
  /**
   * One `aud` every service accepts (`urn:gatehouse:shop`, as before per-service audiences); default: each
   * service its own (`shopServiceAudiences`), so a token for one service is refused by every other.
   */
  readonly audience?: string;
  /** The secret the services show each other on internal routes; default 32 random bytes per start. */
  readonly serviceKey?: string;
  /** Fastify's logger option for every service; default off. */
  readonly logger?: FastifyServerOptions['logger'];
}

/** The running services. */
export interface ShopApis {
  /** Base URL per service, e.g. `urls.orders === 'http://127.0.0.1:4104'`. */
  readonly urls: Readonly<Record<ShopService, string>>;
  /** The ports they listen on (the real ones when `0` was asked): pass them to `shopUpstreams()`. */
  readonly ports: ShopPorts;
  readonly apps: Readonly<Record<ShopService, FastifyInstance>>;
  /** Stops every service (the database stays open). */
  close(): Promise<void>;
}

/**
 * Starts the six domain APIs of the reference shop, each a Fastify app on `@gatehouse/api` with its own
 * port: catalog, cart, checkout, orders, profile and org (which also serves `/admin`). They answer only to
 * bearer access tokens of `issuer` (401 otherwise); put the BFF in front with `shopUpstreams(apis.ports)`.
 *
 * @example
 * const db = await openShopDatabase();
 * const apis = await startShopApis({ db, issuer: 'http://localhost:4001' });
 * // … BFF with upstreams: shopUpstreams(apis.ports)
 * await apis.close();
 * await db.close();
 */
export async function startShopApis(options: StartShopApisOptions): Promise<ShopApis> {
  const host = options.host ?? '127.0.0.1';
  const wanted = { ...defaultShopPorts, ...options.ports };
  checkOptions(options, wanted);
  const common: ServiceOptions = {
    db: options.db,
    issuer: options.issuer,
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
    serviceKey: options.serviceKey ?? randomBytes(32).toString('base64url'),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  };
  const apps: Partial<Record<ShopService, FastifyInstance>> = {};
  const urls: Partial<Record<ShopService, string>> = {};
  const ports: Partial<Record<ShopService, number>> = {};
  const urlHost = host.includes(':') ? `[${host}]` : host;

  async function start(service: ShopService, build: () => Promise<FastifyInstance>): Promise<string> {
    const app = await build();
    apps[service] = app;
    await app.listen({ port: wanted[service], host });
    const port = (app.server.address() as AddressInfo).port;
    ports[service] = port;
    urls[service] = `http://${urlHost}:${port}`;
    return urls[service];
  }

  try {
    // In dependency order: cart and profile ask the catalog; checkout asks catalog, cart and orders.
    const catalogUrl = await start('catalog', () => buildCatalogService(common));
    const ordersUrl = await start('orders', () => buildOrdersService(common));
    const cartUrl = await start('cart', () => buildCartService({ ...common, catalogUrl }));
    await start('checkout', () => buildCheckoutService({ ...common, catalogUrl, cartUrl, ordersUrl }));
    await start('profile', () => buildProfileService({ ...common, catalogUrl }));
    await start('org', () => buildOrgService(common));
  } catch (error) {
    await Promise.allSettled(Object.values(apps).map((app) => app.close()));
    throw error;
  }

  return {
    urls: urls as Record<ShopService, string>,
    ports: ports as ShopPorts,
    apps: apps as Record<ShopService, FastifyInstance>,
    async close() {
      await Promise.allSettled(Object.values(apps).map((app) => app.close()));
    },
  };
}
