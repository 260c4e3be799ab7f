import { ApiError, requirePermission, requirePrincipal, strictObject } from '@gatehouse/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import type { Queryable } from '../../db/database.js';
import { DeliveryAddress, type DeliveryAddressValue } from '../../lib/address.js';
import { createServiceApp, type ServiceOptions } from '../../lib/service-app.js';
import { apiErrorOf, createServiceClient, ServiceCallError } from '../../lib/service-client.js';
import type { Product } from '../catalog/catalog-service.js';

/** Options of {@link buildProfileService}. */
export interface ProfileServiceOptions extends ServiceOptions {
  /** The catalog service, asked whether a product exists and for the wishlist's product details. */
  readonly catalogUrl: string;
}

/** One product on the caller's wishlist; `product` is `null` when the catalog no longer sells it. */
export interface WishlistItem {
  readonly productId: string;
  readonly addedAt: string;
  readonly product: Pick<
    Product,
    'name' | 'image' | 'priceMinor' | 'memberPriceMinor' | 'inStock' | 'category'
  > | null;
}

/** Most products on one wishlist. */
export const MAX_WISHLIST = 100;

const ProductParams = T.Object({ productId: T.String({ pattern: '^[a-z0-9_]{1,64}$' }) });

/** The caller's profile. */
export interface Profile {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
  readonly phone: string;
  readonly locale: string;
  readonly currency: string;
  readonly marketingOptIn: boolean;
  readonly defaultAddress: DeliveryAddressValue | null;
  readonly updatedAt: string | null;
}

interface ProfileRow {
  user_id: string;
  display_name: string;
  email: string;
  phone: string;
  locale: string;
  currency: string;
  marketing_opt_in: boolean;
  default_address: DeliveryAddressValue | null;
  updated_at: Date;
}

/**
 * What a user may change of their profile. Everything else (`id`, `roles`, `tenantId`, `ownerId`, `email`,
 * which the identity provider owns, …) is refused with a 400 naming the field.
 */
export const ProfilePatch = strictObject(
  {
    displayName: T.Optional(T.String({ minLength: 1, maxLength: 80 })),
    phone: T.Optional(T.String({ pattern: '^$|^(\\+91[ -]?)?[6-9][0-9]{4}[ -]?[0-9]{5}$' })),
    locale: T.Optional(T.String({ pattern: '^[a-z]{2}(-[A-Z]{2})?$' })),
    currency: T.Optional(T.String({ pattern: '^[A-Z]{3}$' })),
    marketingOptIn: T.Optional(T.Boolean()),
    defaultAddress: T.Optional(T.Union([DeliveryAddress, T.Null()])),
  },
  { minProperties: 1 },
);

async function loadProfile(db: Queryable, userId: string): Promise<Profile> {
  const [row] = await db.query<ProfileRow>('SELECT * FROM profile.profiles WHERE user_id = $1', [userId]);
  if (!row) {
    return {
      id: userId,
      displayName: userId,
      email: '',
      phone: '',
      locale: 'en-IN',
      currency: 'INR',
      marketingOptIn: false,
      defaultAddress: null,
      updatedAt: null,
    };
  }
  return {
    id: row.user_id,
    displayName: row.display_name,
    email: row.email,
    phone: row.phone,
    locale: row.locale,
    currency: row.currency,
    marketingOptIn: row.marketing_opt_in,
    defaultAddress: row.default_address,
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The profile service (schema `profile`): the caller's own profile and wishlist (the token's subject, never
 * a parameter); changing the profile needs `profile:edit` and is audited as `profile.update`.
 *
 * @example
 * const profile = await buildProfileService({ db, issuer, serviceKey, catalogUrl: 'http://127.0.0.1:4101' });
 */
export async function buildProfileService(options: ProfileServiceOptions): Promise<FastifyInstance> {
  const { db } = options;
  const app = await createServiceApp('profile', options);
  const catalog = createServiceClient('catalog', options.catalogUrl, options.serviceKey);

  async function wishlistOf(request: FastifyRequest, userId: string): Promise<WishlistItem[]> {
    const rows = await db.query<{ product_id: string; added_at: Date }>(
      'SELECT product_id, added_at FROM profile.wishlist WHERE user_id = $1 ORDER BY added_at DESC, product_id',
      [userId],
    );
    const products = new Map<string, Product>();
    for (let start = 0; start < rows.length; start += 50) {
      const ids = rows
        .slice(start, start + 50)
        .map((row) => row.product_id)
        .join(',');
      const page = await catalog
        .call<{ items: Product[] }>(request, 'GET', `/products?ids=${ids}&pageSize=50`)
        .catch((error: unknown) => {
          throw apiErrorOf(error);
        });
      for (const item of page.items) products.set(item.id, item);
    }
    return rows.map((row) => {
      const found = products.get(row.product_id);
      return {
        productId: row.product_id,
        addedAt: row.added_at.toISOString(),
        product: found
          ? {
              name: found.name,
              image: found.image,
              priceMinor: found.priceMinor,
              ...(found.memberPriceMinor !== undefined ? { memberPriceMinor: found.memberPriceMinor } : {}),
              inStock: found.inStock,
              category: found.category,
            }
          : null,
      };
    });
  }

  app.get('/wishlist', async (request) => wishlistOf(request, requirePrincipal(request).sub));

  // Adds a product (idempotent: adding it again changes nothing).
  app.put<{ Params: { productId: string } }>(
    '/wishlist/:productId',
    { schema: { params: ProductParams }, preValidation: requirePermission('wishlist:edit') },
    async (request) => {
      const me = requirePrincipal(request);
      const { productId } = request.params;
      try {
        await catalog.call(request, 'GET', `/products/${productId}`);
      } catch (error) {
        if (error instanceof ServiceCallError && error.status === 404) {
          throw new ApiError('GH_API_NOT_FOUND', 'no such product', { detail: 'No such product.' });
        }
        throw apiErrorOf(error);
      }
      const [count] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM profile.wishlist WHERE user_id = $1 AND product_id <> $2',
        [me.sub, productId],
      );
      if ((count?.n ?? 0) >= MAX_WISHLIST) {
        throw new ApiError('GH_API_CONFLICT', 'wishlist full', {
          detail: `A wishlist holds at most ${MAX_WISHLIST} products.`,
        });
      }
      await db.query(
        'INSERT INTO profile.wishlist (user_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [me.sub, productId],
      );
      return wishlistOf(request, me.sub);
    },
  );

  app.delete<{ Params: { productId: string } }>(
    '/wishlist/:productId',
    { schema: { params: ProductParams }, preValidation: requirePermission('wishlist:edit') },
    async (request) => {
      const me = requirePrincipal(request);
      const removed = await db.query(
        'DELETE FROM profile.wishlist WHERE user_id = $1 AND product_id = $2 RETURNING product_id',
        [me.sub, request.params.productId],
      );
      if (removed.length === 0) {
        throw new ApiError('GH_API_NOT_FOUND', 'not on the wishlist', {
          detail: 'That product is not on your wishlist.',
        });
      }
      return wishlistOf(request, me.sub);
    },
  );

  app.get('/', async (request) => loadProfile(db, requirePrincipal(request).sub));

  app.patch<{ Body: T.Static<typeof ProfilePatch> }>(
    '/',
    {
      schema: { body: ProfilePatch },
      // In preValidation: the permission (403) is checked before the body (400).
      preValidation: requirePermission('profile:edit'),
      config: { audit: 'profile.update' },
    },
    async (request) => {
      const me = requirePrincipal(request);
      const current = await loadProfile(db, me.sub);
      const body = request.body;
      const next = {
        displayName: body.displayName ?? current.displayName,
        phone: body.phone ?? current.phone,
        locale: body.locale ?? current.locale,
        currency: body.currency ?? current.currency,
        marketingOptIn: body.marketingOptIn ?? current.marketingOptIn,
        defaultAddress: body.defaultAddress === undefined ? current.defaultAddress : body.defaultAddress,
      };
      await db.query(
        `INSERT INTO profile.profiles
           (user_id, display_name, email, phone, locale, currency, marketing_opt_in, default_address, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, now())
         ON CONFLICT (user_id) DO UPDATE SET
           display_name = EXCLUDED.display_name, phone = EXCLUDED.phone, locale = EXCLUDED.locale,
           currency = EXCLUDED.currency, marketing_opt_in = EXCLUDED.marketing_opt_in,
           default_address = EXCLUDED.default_address, updated_at = now()`,
        [
          me.sub,
          next.displayName,
          current.email,
          next.phone,
          next.locale,
          next.currency,
          next.marketingOptIn,
          next.defaultAddress ? JSON.stringify(next.defaultAddress) : null,
        ],
      );
      return loadProfile(db, me.sub);
    },
  );

  return app;
}
