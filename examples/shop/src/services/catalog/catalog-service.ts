import {
  ApiError,
  type ApiPrincipal,
  authorize,
  requirePermission,
  requirePrincipal,
  strictObject,
} from '@gatehouse/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import type { Queryable } from '../../db/database.js';
import { memberPrice } from '../../lib/money.js';
import { createServiceApp, type ServiceOptions, shopServiceAudiences } from '../../lib/service-app.js';
import { requireServiceKey } from '../../lib/service-key.js';

/** A product as the catalog answers it; prices in paise. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly brand: string;
  readonly description: string;
  readonly category: { readonly slug: string; readonly name: string };
  readonly priceMinor: number;
  readonly currency: string;
  readonly stock: number;
  readonly inStock: boolean;
  /** Out of 5, one decimal. */
  readonly rating: number;
  /** An SVG `data:` URI. */
  readonly image: string;
  readonly updatedAt: string;
  /** Only for a signed-in caller: the member price, and what makes it. */
  readonly memberPriceMinor?: number;
  readonly offer?: { readonly label: string; readonly percentOff: number };
}

interface ProductRow {
  id: string;
  name: string;
  brand: string;
  description: string;
  category_slug: string;
  category_name: string;
  price_minor: number;
  currency: string;
  member_discount_percent: number;
  stock: number;
  rating: number;
  image: string;
  updated_at: Date;
}

const PRODUCT_COLUMNS = `p.id, p.name, p.brand, p.description, p.category_slug, c.name AS category_name, p.price_minor,
  p.currency, p.member_discount_percent, p.stock, p.rating, p.image, p.updated_at`;
const FROM_PRODUCTS = 'FROM catalog.products p JOIN catalog.categories c ON c.slug = p.category_slug';

function productOf(row: ProductRow, principal: ApiPrincipal | null): Product {
  const personal =
    principal && row.member_discount_percent > 0
      ? {
          memberPriceMinor: memberPrice(row.price_minor, row.member_discount_percent),
          offer: { label: 'Member price', percentOff: row.member_discount_percent },
        }
      : {};
  return {
    id: row.id,
    name: row.name,
    brand: row.brand,
    description: row.description,
    category: { slug: row.category_slug, name: row.category_name },
    priceMinor: row.price_minor,
    currency: row.currency,
    stock: row.stock,
    inStock: row.stock > 0,
    rating: row.rating / 10,
    image: row.image,
    updatedAt: row.updated_at.toISOString(),
    ...personal,
  };
}

async function loadProduct(db: Queryable, id: string): Promise<ProductRow | undefined> {
  const [row] = await db.query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} ${FROM_PRODUCTS} WHERE p.id = $1`, [
    id,
  ]);
  return row;
}

/**
 * A personal answer (member price) must never be cached for someone else. Browsers reach the catalog through
 * the BFF, where the session cookie (not an Authorization header) decides whether a token is sent: without
 * `Cookie` in `Vary`, a browser that just signed in would keep showing the anonymous answer it cached
 * (no member price) for up to 30 s.
 */
function cacheHeaders(reply: FastifyReply, request: FastifyRequest): void {
  reply.header('vary', 'Authorization, Cookie');
  reply.header('cache-control', request.principal ? 'private, no-store' : 'public, max-age=30');
}

const ProductId = T.String({ pattern: '^[a-z0-9_]{1,64}$' });
const SORTS = {
  featured: 'p.rating DESC, p.name',
  price_asc: 'p.price_minor, p.name',
  price_desc: 'p.price_minor DESC, p.name',
  name: 'p.name',
  newest: 'p.created_at DESC, p.name',
} as const;

const ProductQuery = T.Object({
  category: T.Optional(T.String({ pattern: '^[a-z0-9-]{1,64}$' })),
  q: T.Optional(T.String({ maxLength: 100 })),
  /** Comma-separated product ids (at most 50), as the cart asks for its lines. */
  ids: T.Optional(T.String({ pattern: '^[a-z0-9_]{1,64}(,[a-z0-9_]{1,64}){0,49}$' })),
  sort: T.Optional(T.Union(Object.keys(SORTS).map((key) => T.Literal(key)))),
  page: T.Integer({ minimum: 1, maximum: 1000, default: 1 }),
  pageSize: T.Integer({ minimum: 1, maximum: 50, default: 12 }),
});

/** What a store manager may change; the id, timestamps and who changed it are not theirs to set. */
const ProductUpdate = strictObject({
  name: T.String({ minLength: 1, maxLength: 120 }),
  brand: T.String({ maxLength: 80 }),
  description: T.String({ maxLength: 2000 }),
  category: T.String({ pattern: '^[a-z0-9-]{1,64}$' }),
  priceMinor: T.Integer({ minimum: 100, maximum: 100_000_000 }),
  stock: T.Integer({ minimum: 0, maximum: 1_000_000 }),
  memberDiscountPercent: T.Optional(T.Integer({ minimum: 0, maximum: 50 })),
});

const StockLines = strictObject({
  items: T.Array(strictObject({ productId: ProductId, quantity: T.Integer({ minimum: 1, maximum: 10 }) }), {
    minItems: 1,
    maxItems: 50,
  }),
});

/** A line priced by the catalog when checkout reserves it. */
export interface ReservedLine {
  readonly productId: string;
  readonly name: string;
  readonly quantity: number;
  readonly listPriceMinor: number;
  readonly unitPriceMinor: number;
}

/**
 * The catalog service (schema `catalog`): categories and products, public to read (with a member price for a
 * signed-in caller), editable with `catalog:edit`; stock is reserved and released by the checkout service
 * over internal routes.
 *
 * @example
 * const catalog = await buildCatalogService({ db, issuer: 'http://localhost:4001', serviceKey });
 * await catalog.listen({ port: 4101, host: '127.0.0.1' });
 */
export async function buildCatalogService(options: ServiceOptions): Promise<FastifyInstance> {
  const { db } = options;
  const app = await createServiceApp('catalog', options);
  // Cart and profile relay their own tokens when they look products up for the user (member prices), and
  // checkout's reaches here through the cart it reads.
  const RELAYING_READERS = [
    shopServiceAudiences.cart,
    shopServiceAudiences.profile,
    shopServiceAudiences.checkout,
  ];
  const internal = requireServiceKey(options.serviceKey);

  app.get('/categories', { config: { auth: 'public' } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    return db.query(
      `SELECT c.slug, c.name, c.description, count(p.id)::int AS "productCount"
         FROM catalog.categories c LEFT JOIN catalog.products p ON p.category_slug = c.slug
        GROUP BY c.slug ORDER BY c.position, c.name`,
    );
  });

  app.get<{ Querystring: T.Static<typeof ProductQuery> }>(
    '/products',
    { config: { auth: 'optional', audiences: RELAYING_READERS }, schema: { querystring: ProductQuery } },
    async (request, reply) => {
      const { category, q, ids, sort, page, pageSize } = request.query;
      const where: string[] = [];
      const params: (string | number | string[])[] = [];
      if (category) {
        params.push(category);
        where.push(`p.category_slug = $${params.length}`);
      }
      if (q?.trim()) {
        params.push(q.trim().toLowerCase());
        const at = `$${params.length}`;
        where.push(
          `(strpos(lower(p.name), ${at}) > 0 OR strpos(lower(p.brand), ${at}) > 0 OR strpos(lower(p.description), ${at}) > 0)`,
        );
      }
      if (ids) {
        params.push(ids.split(','));
        where.push(`p.id = ANY($${params.length}::text[])`);
      }
      const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const [{ total } = { total: 0 }] = await db.query<{ total: number }>(
        `SELECT count(*)::int AS total ${FROM_PRODUCTS} ${filter}`,
        params,
      );
      const rows = await db.query<ProductRow>(
        `SELECT ${PRODUCT_COLUMNS} ${FROM_PRODUCTS} ${filter}
          ORDER BY ${SORTS[sort ?? 'featured']} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, pageSize, (page - 1) * pageSize],
      );
      cacheHeaders(reply, request);
      return { items: rows.map((row) => productOf(row, request.principal)), total, page, pageSize };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/products/:id',
    {
      config: { auth: 'optional', audiences: RELAYING_READERS },
      schema: { params: T.Object({ id: ProductId }) },
    },
    async (request, reply) => {
      const row = await loadProduct(db, request.params.id);
      if (!row) throw new ApiError('GH_API_NOT_FOUND', 'no such product', { detail: 'No such product.' });
      cacheHeaders(reply, request);
      return productOf(row, request.principal);
    },
  );

  app.put<{ Params: { id: string }; Body: T.Static<typeof ProductUpdate> }>(
    '/products/:id',
    {
      schema: { params: T.Object({ id: ProductId }), body: ProductUpdate },
      preValidation: requirePermission('catalog:edit'),
      config: { audit: 'catalog.product.update' },
    },
    async (request) => {
      const me = requirePrincipal(request);
      const { id } = request.params;
      const current = await loadProduct(db, id);
      authorize(request, 'catalog:edit', current && { id, type: 'product' }, { type: 'product' });
      const body = request.body;
      const [category] = await db.query('SELECT slug FROM catalog.categories WHERE slug = $1', [
        body.category,
      ]);
      if (!category) {
        throw new ApiError('GH_API_BAD_REQUEST', 'unknown category', { detail: 'No such category.' });
      }
      await db.query(
        `UPDATE catalog.products
            SET name = $2, brand = $3, description = $4, category_slug = $5, price_minor = $6, stock = $7,
                member_discount_percent = COALESCE($8, member_discount_percent), updated_at = now(), updated_by = $9
          WHERE id = $1`,
        [
          id,
          body.name,
          body.brand,
          body.description,
          body.category,
          body.priceMinor,
          body.stock,
          body.memberDiscountPercent ?? null,
          me.sub,
        ],
      );
      const row = await loadProduct(db, id);
      return productOf(row!, request.principal);
    },
  );

  // Internal: the checkout service takes stock for an order, all lines or none, and learns the prices the
  // caller pays (the member price: checkout relays the customer's token).
  app.post<{ Body: T.Static<typeof StockLines> }>(
    '/internal/stock/reservations',
    {
      config: { audiences: [shopServiceAudiences.checkout] },
      schema: { body: StockLines },
      preValidation: [internal, requirePermission('checkout:place_order')],
    },
    async (request, reply) => {
      const lines = mergeLines(request.body.items);
      const reserved = await db.transaction(async (tx) => {
        const out: ReservedLine[] = [];
        for (const line of lines) {
          const [row] = await tx.query<{
            name: string;
            price_minor: number;
            member_discount_percent: number;
          }>(
            `UPDATE catalog.products SET stock = stock - $2
              WHERE id = $1 AND stock >= $2
              RETURNING name, price_minor, member_discount_percent`,
            [line.productId, line.quantity],
          );
          if (!row) {
            const [exists] = await tx.query<{ name: string; stock: number }>(
              'SELECT name, stock FROM catalog.products WHERE id = $1',
              [line.productId],
            );
            throw new ApiError('GH_API_CONFLICT', 'not enough stock', {
              detail: exists
                ? exists.stock === 0
                  ? `${exists.name} is out of stock.`
                  : `Only ${exists.stock} of ${exists.name} left.`
                : `A product in your cart (${line.productId}) is no longer sold.`,
            });
          }
          out.push({
            productId: line.productId,
            name: row.name,
            quantity: line.quantity,
            listPriceMinor: row.price_minor,
            unitPriceMinor: memberPrice(row.price_minor, row.member_discount_percent),
          });
        }
        return out;
      });
      reply.code(201);
      return { items: reserved };
    },
  );

  // Internal: puts reserved stock back when the order could not be created.
  app.post<{ Body: T.Static<typeof StockLines> }>(
    '/internal/stock/releases',
    {
      config: { audiences: [shopServiceAudiences.checkout] },
      schema: { body: StockLines },
      preValidation: [internal, requirePermission('checkout:place_order')],
    },
    async (request) => {
      const lines = mergeLines(request.body.items);
      await db.transaction(async (tx) => {
        for (const line of lines) {
          await tx.query('UPDATE catalog.products SET stock = stock + $2 WHERE id = $1', [
            line.productId,
            line.quantity,
          ]);
        }
      });
      return { released: lines.length };
    },
  );

  return app;
}

/** One line per product, quantities added; in id order, so concurrent reservations lock rows in one order. */
function mergeLines(items: readonly { productId: string; quantity: number }[]) {
  const merged = new Map<string, number>();
  for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  return [...merged]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => ({ productId, quantity }));
}
