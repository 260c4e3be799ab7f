import { ApiError, requirePrincipal, strictObject } from '@gatehouse/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import { SHOP_CURRENCY } from '../../lib/money.js';
import { createServiceApp, type ServiceOptions, shopServiceAudiences } from '../../lib/service-app.js';
import { apiErrorOf, createServiceClient, ServiceCallError } from '../../lib/service-client.js';
import type { Product } from '../catalog/catalog-service.js';

/** Options of {@link buildCartService}. */
export interface CartServiceOptions extends ServiceOptions {
  /** The catalog service, asked for product names, prices and stock. */
  readonly catalogUrl: string;
}

/** One line of a cart; `product` is `null` when the catalog no longer sells it. */
export interface CartLine {
  readonly productId: string;
  readonly quantity: number;
  readonly addedAt: string;
  readonly product: Pick<
    Product,
    'name' | 'image' | 'priceMinor' | 'memberPriceMinor' | 'stock' | 'inStock' | 'category'
  > | null;
  /** What the line costs the caller: quantity × (member price, else list price). */
  readonly lineTotalMinor: number;
}

/** The caller's cart. */
export interface Cart {
  readonly items: readonly CartLine[];
  readonly itemCount: number;
  readonly currency: string;
  /** Σ list price × quantity. */
  readonly subtotalMinor: number;
  /** What the member prices save. */
  readonly discountMinor: number;
  /** subtotal − discount (delivery is added at checkout). */
  readonly totalMinor: number;
}

/** Most of one product in a cart. */
export const MAX_QUANTITY = 10;

const ProductId = T.String({ pattern: '^[a-z0-9_]{1,64}$' });
const AddItem = strictObject({
  productId: ProductId,
  quantity: T.Integer({ minimum: 1, maximum: MAX_QUANTITY }),
});
const SetQuantity = strictObject({ quantity: T.Integer({ minimum: 1, maximum: MAX_QUANTITY }) });

interface ItemRow {
  product_id: string;
  quantity: number;
  added_at: Date;
}

/**
 * The cart service (schema `cart`): the signed-in caller's own cart, always the token's subject: no route
 * takes a user id. Product details come from the catalog service, asked with the caller's token so member
 * prices apply.
 *
 * @example
 * const cart = await buildCartService({ db, issuer, serviceKey, catalogUrl: 'http://127.0.0.1:4101' });
 */
export async function buildCartService(options: CartServiceOptions): Promise<FastifyInstance> {
  const { db } = options;
  const app = await createServiceApp('cart', options);
  const catalog = createServiceClient('catalog', options.catalogUrl, options.serviceKey);

  async function product(request: FastifyRequest, productId: string): Promise<Product> {
    try {
      return await catalog.call<Product>(request, 'GET', `/products/${productId}`);
    } catch (error) {
      if (error instanceof ServiceCallError && error.status === 404) {
        throw new ApiError('GH_API_NOT_FOUND', 'no such product', { detail: 'No such product.' });
      }
      throw apiErrorOf(error);
    }
  }

  async function cartOf(request: FastifyRequest, userId: string): Promise<Cart> {
    const rows = await db.query<ItemRow>(
      'SELECT product_id, quantity, added_at FROM cart.items WHERE user_id = $1 ORDER BY added_at, product_id',
      [userId],
    );
    const products = new Map<string, Product>();
    if (rows.length > 0) {
      const ids = rows.map((row) => row.product_id).join(',');
      const page = await catalog
        .call<{ items: Product[] }>(request, 'GET', `/products?ids=${ids}&pageSize=50`)
        .catch((error: unknown) => {
          throw apiErrorOf(error);
        });
      for (const item of page.items) products.set(item.id, item);
    }
    let subtotalMinor = 0;
    let totalMinor = 0;
    const items = rows.map((row): CartLine => {
      const found = products.get(row.product_id);
      const unit = found ? (found.memberPriceMinor ?? found.priceMinor) : 0;
      if (found) {
        subtotalMinor += found.priceMinor * row.quantity;
        totalMinor += unit * row.quantity;
      }
      return {
        productId: row.product_id,
        quantity: row.quantity,
        addedAt: row.added_at.toISOString(),
        product: found
          ? {
              name: found.name,
              image: found.image,
              priceMinor: found.priceMinor,
              ...(found.memberPriceMinor !== undefined ? { memberPriceMinor: found.memberPriceMinor } : {}),
              stock: found.stock,
              inStock: found.inStock,
              category: found.category,
            }
          : null,
        lineTotalMinor: unit * row.quantity,
      };
    });
    return {
      items,
      itemCount: rows.reduce((sum, row) => sum + row.quantity, 0),
      currency: SHOP_CURRENCY,
      subtotalMinor,
      discountMinor: subtotalMinor - totalMinor,
      totalMinor,
    };
  }

  async function setQuantity(request: FastifyRequest, productId: string, quantity: number) {
    const me = requirePrincipal(request);
    const found = await product(request, productId);
    if (quantity > MAX_QUANTITY) {
      throw new ApiError('GH_API_CONFLICT', 'too many of one product', {
        detail: `At most ${MAX_QUANTITY} of one product per order.`,
      });
    }
    if (quantity > found.stock) {
      throw new ApiError('GH_API_CONFLICT', 'not enough stock', {
        detail:
          found.stock === 0 ? `${found.name} is out of stock.` : `Only ${found.stock} of ${found.name} left.`,
      });
    }
    await db.query(
      `INSERT INTO cart.items (user_id, product_id, quantity) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()`,
      [me.sub, productId, quantity],
    );
  }

  // Checkout reads the cart with the checkout token it was given.
  app.get('/', { config: { audiences: [shopServiceAudiences.checkout] } }, async (request) =>
    cartOf(request, requirePrincipal(request).sub),
  );

  // Adds to the line's quantity (a new line when the product is not in the cart yet).
  app.post<{ Body: T.Static<typeof AddItem> }>('/items', { schema: { body: AddItem } }, async (request) => {
    const me = requirePrincipal(request);
    const { productId, quantity } = request.body;
    const [current] = await db.query<{ quantity: number }>(
      'SELECT quantity FROM cart.items WHERE user_id = $1 AND product_id = $2',
      [me.sub, productId],
    );
    await setQuantity(request, productId, (current?.quantity ?? 0) + quantity);
    return cartOf(request, me.sub);
  });

  // Sets the line's quantity.
  app.put<{ Params: { productId: string }; Body: T.Static<typeof SetQuantity> }>(
    '/items/:productId',
    { schema: { params: T.Object({ productId: ProductId }), body: SetQuantity } },
    async (request) => {
      await setQuantity(request, request.params.productId, request.body.quantity);
      return cartOf(request, requirePrincipal(request).sub);
    },
  );

  app.delete<{ Params: { productId: string } }>(
    '/items/:productId',
    { schema: { params: T.Object({ productId: ProductId }) } },
    async (request) => {
      const me = requirePrincipal(request);
      const removed = await db.query(
        'DELETE FROM cart.items WHERE user_id = $1 AND product_id = $2 RETURNING product_id',
        [me.sub, request.params.productId],
      );
      if (removed.length === 0) {
        throw new ApiError('GH_API_NOT_FOUND', 'not in the cart', {
          detail: 'That product is not in your cart.',
        });
      }
      return cartOf(request, me.sub);
    },
  );

  // Empties the caller's cart (the checkout service calls it once the order exists).
  app.delete('/', { config: { audiences: [shopServiceAudiences.checkout] } }, async (request, reply) => {
    await db.query('DELETE FROM cart.items WHERE user_id = $1', [requirePrincipal(request).sub]);
    return reply.code(204).send();
  });

  return app;
}
