import { shopServiceAudiences } from './lib/service-app.js';

/** The shop's six services. */
export type ShopService = 'catalog' | 'cart' | 'checkout' | 'orders' | 'profile' | 'org';

/** A port per service; the org service also serves the admin area. */
export type ShopPorts = Readonly<Record<ShopService, number>>;

/** The ports of `npm start` (docs/http-contract.md#origins: domain APIs on 127.0.0.1:4101-4199). */
export const defaultShopPorts: ShopPorts = Object.freeze({
  catalog: 4101,
  cart: 4102,
  checkout: 4103,
  orders: 4104,
  profile: 4105,
  org: 4106,
});

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One upstream as the BFF's `upstreams` option takes it. */
export interface ShopUpstream {
  url: string;
  access: 'public' | 'required';
  methods: Method[];
  /** The service's own audience: the BFF gets a token for it alone (RFC 8707). */
  resource: string;
}

/** The BFF's upstream names for the shop: `/api/<name>/…`. */
export type ShopUpstreamName = 'catalog' | 'cart' | 'checkout' | 'orders' | 'profile' | 'admin' | 'org';

/**
 * The BFF's `upstreams` option for the shop: `/api/<name>/<rest>` goes to `<url>/<rest>`. Catalog is
 * `public` (anonymous browsing; a signed-in caller's catalog token still goes along, for member prices); the
 * rest need a session. Each names its service's own audience as its `resource`: the BFF attaches a token
 * for that service alone, so a service that leaks or replays it reaches no other. Each upstream forwards only the methods its routes use, so internal routes (the orders
 * service's `POST /`, the catalog's `POST /internal/…`) cannot be reached through the BFF at all.
 *
 * | BFF path | service route |
 * | --- | --- |
 * | `/api/catalog/products?…`, `/api/catalog/products/:id`, `/api/catalog/categories` | catalog `/products…`, `/categories` |
 * | `/api/cart`, `/api/cart/items`, `/api/cart/items/:productId` | cart `/`, `/items`, `/items/:productId` |
 * | `/api/checkout/orders`, `/api/checkout/payment-methods` | checkout `/orders`, `/payment-methods` |
 * | `/api/orders`, `/api/orders/:id` | orders `/`, `/:id` |
 * | `/api/profile`, `/api/profile/wishlist`, `/api/profile/wishlist/:productId` | profile `/`, `/wishlist…` |
 * | `/api/admin/users` | org `/admin/users` |
 * | `/api/org/:tenant/users`, `…/billing`, `…/audit-logs` | org `/org/:tenant/…` |
 *
 * @example
 * const config = resolveConfig({ sessionSecrets, upstreams: shopUpstreams() });            // default ports
 * const config2 = resolveConfig({ sessionSecrets, upstreams: shopUpstreams(apis.ports) }); // where they run
 */
export function shopUpstreams(
  ports: Partial<ShopPorts> = {},
  host = '127.0.0.1',
): Record<ShopUpstreamName, ShopUpstream> {
  const port = { ...defaultShopPorts, ...ports };
  const base = (service: ShopService, path = '') => `http://${host}:${port[service]}${path}`;
  const aud = shopServiceAudiences;
  return {
    catalog: {
      url: base('catalog'),
      access: 'public',
      methods: ['GET', 'HEAD', 'PUT'],
      resource: aud.catalog,
    },
    cart: {
      url: base('cart'),
      access: 'required',
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      resource: aud.cart,
    },
    checkout: {
      url: base('checkout'),
      access: 'required',
      methods: ['GET', 'HEAD', 'POST'],
      resource: aud.checkout,
    },
    orders: { url: base('orders'), access: 'required', methods: ['GET', 'HEAD'], resource: aud.orders },
    profile: {
      url: base('profile'),
      access: 'required',
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'],
      resource: aud.profile,
    },
    admin: { url: base('org', '/admin'), access: 'required', methods: ['GET', 'HEAD'], resource: aud.org },
    org: {
      url: base('org', '/org'),
      access: 'required',
      methods: ['GET', 'HEAD', 'PATCH'],
      resource: aud.org,
    },
  };
}
