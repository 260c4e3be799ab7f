import { randomBytes } from 'node:crypto';
import { ApiError, authorize, requirePermission, requirePrincipal, strictObject } from '@gatehouse/api';
import type { FastifyInstance } from 'fastify';
import * as T from 'typebox';
import type { Queryable } from '../../db/database.js';
import { DeliveryAddress, type DeliveryAddressValue } from '../../lib/address.js';
import { createServiceApp, type ServiceOptions, shopServiceAudiences } from '../../lib/service-app.js';
import { requireServiceKey } from '../../lib/service-key.js';

/** The payment methods the shop takes. */
export const paymentMethods = ['card', 'upi', 'cod'] as const;
/** One of {@link paymentMethods}. */
export type PaymentMethod = (typeof paymentMethods)[number];

/** An order's line. */
export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  readonly unitPriceMinor: number;
  readonly quantity: number;
  readonly lineTotalMinor: number;
}

/** An order in a list. */
export interface OrderSummary {
  readonly id: string;
  readonly ownerId: string;
  readonly tenant: string | null;
  readonly status: 'placed' | 'packed' | 'shipped' | 'delivered' | 'cancelled';
  readonly placedAt: string;
  readonly currency: string;
  readonly totalMinor: number;
  readonly itemCount: number;
}

/** An order with its lines, totals, payment method and delivery address. */
export interface Order extends OrderSummary {
  readonly subtotalMinor: number;
  readonly discountMinor: number;
  readonly shippingMinor: number;
  readonly paymentMethod: PaymentMethod;
  readonly address: DeliveryAddressValue;
  readonly items: readonly OrderLine[];
}

interface OrderRow {
  id: string;
  owner_id: string;
  tenant_id: string | null;
  status: OrderSummary['status'];
  placed_at: Date;
  currency: string;
  subtotal_minor: number;
  discount_minor: number;
  shipping_minor: number;
  total_minor: number;
  payment_method: PaymentMethod;
  address: DeliveryAddressValue;
  item_count: number;
}

const ORDER_COLUMNS = `o.id, o.owner_id, o.tenant_id, o.status, o.placed_at, o.currency, o.subtotal_minor,
  o.discount_minor, o.shipping_minor, o.total_minor, o.payment_method, o.address,
  (SELECT coalesce(sum(quantity), 0)::int FROM orders.order_items i WHERE i.order_id = o.id) AS item_count`;

const summaryOf = (row: OrderRow): OrderSummary => ({
  id: row.id,
  ownerId: row.owner_id,
  tenant: row.tenant_id,
  status: row.status,
  placedAt: row.placed_at.toISOString(),
  currency: row.currency,
  totalMinor: row.total_minor,
  itemCount: row.item_count,
});

async function loadOrder(db: Queryable, id: string): Promise<Order | undefined> {
  const [row] = await db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders.orders o WHERE o.id = $1`, [
    id,
  ]);
  if (!row) return undefined;
  const lines = await db.query<{
    product_id: string;
    name: string;
    unit_price_minor: number;
    quantity: number;
  }>(
    'SELECT product_id, name, unit_price_minor, quantity FROM orders.order_items WHERE order_id = $1 ORDER BY line',
    [id],
  );
  return {
    ...summaryOf(row),
    subtotalMinor: row.subtotal_minor,
    discountMinor: row.discount_minor,
    shippingMinor: row.shipping_minor,
    paymentMethod: row.payment_method,
    address: row.address,
    items: lines.map((line) => ({
      productId: line.product_id,
      name: line.name,
      unitPriceMinor: line.unit_price_minor,
      quantity: line.quantity,
      lineTotalMinor: line.unit_price_minor * line.quantity,
    })),
  };
}

/** What the checkout service sends to create an order. The owner and tenant come from the token, never from here. */
export const NewOrder = strictObject({
  items: T.Array(
    strictObject({
      productId: T.String({ pattern: '^[a-z0-9_]{1,64}$' }),
      name: T.String({ minLength: 1, maxLength: 120 }),
      listPriceMinor: T.Integer({ minimum: 0 }),
      unitPriceMinor: T.Integer({ minimum: 0 }),
      quantity: T.Integer({ minimum: 1, maximum: 10 }),
    }),
    { minItems: 1, maxItems: 50 },
  ),
  shippingMinor: T.Integer({ minimum: 0 }),
  paymentMethod: T.Union(paymentMethods.map((method) => T.Literal(method))),
  address: DeliveryAddress,
});

const OrderId = T.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

/**
 * The orders service (schema `orders`): a customer's own orders with `orders:view`, every order with
 * `orders:view_any`; another's order is 403 and a missing one 404. Orders are created only by the checkout
 * service (internal `POST /`, service key + `checkout:place_order`), for the user of the relayed token.
 *
 * @example
 * const orders = await buildOrdersService({ db, issuer, serviceKey });
 */
export async function buildOrdersService(options: ServiceOptions): Promise<FastifyInstance> {
  const { db } = options;
  const app = await createServiceApp('orders', options);

  app.get('/', { preHandler: requirePermission('orders:view') }, async (request) => {
    const me = requirePrincipal(request);
    const any = app.gatehouse.policy.can(me, 'orders:view_any');
    const rows = await db.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders.orders o
        WHERE $1::text IS NULL OR o.owner_id = $1::text
        ORDER BY o.placed_at DESC, o.id LIMIT 200`,
      [any ? null : me.sub],
    );
    return rows.map(summaryOf);
  });

  app.get<{ Params: { id: string } }>(
    '/:id',
    {
      schema: { params: T.Object({ id: OrderId }) },
      preHandler: requirePermission('orders:view'),
      config: { audit: 'orders.read' },
    },
    async (request) => {
      const order = await loadOrder(db, request.params.id);
      // The resource the policy sees: owner only. The order's tenant is informational, so support staff
      // (orders:view_any) can still help with an order placed by an organisation's member.
      authorize(request, 'orders:view', order && { id: order.id, ownerId: order.ownerId, type: 'order' }, {
        type: 'order',
      });
      return order;
    },
  );

  app.post<{ Body: T.Static<typeof NewOrder> }>(
    '/',
    {
      // Only checkout places orders, relaying the checkout token it was given.
      config: { audiences: [shopServiceAudiences.checkout] },
      schema: { body: NewOrder },
      preValidation: [requireServiceKey(options.serviceKey), requirePermission('checkout:place_order')],
    },
    async (request, reply) => {
      const me = requirePrincipal(request);
      const { items, shippingMinor, paymentMethod, address } = request.body;
      if (items.some((item) => item.unitPriceMinor > item.listPriceMinor)) {
        throw new ApiError('GH_API_BAD_REQUEST', 'unit price above list price', {
          detail: 'A line costs more than its list price.',
        });
      }
      const subtotal = items.reduce((sum, item) => sum + item.listPriceMinor * item.quantity, 0);
      const paid = items.reduce((sum, item) => sum + item.unitPriceMinor * item.quantity, 0);
      const id = `order_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
      const tenant = me.tenants[0]?.id ?? null;
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO orders.orders (id, owner_id, tenant_id, status, subtotal_minor, discount_minor,
                                      shipping_minor, total_minor, payment_method, address)
           VALUES ($1, $2, $3, 'placed', $4, $5, $6, $7, $8, $9::jsonb)`,
          [
            id,
            me.sub,
            tenant,
            subtotal,
            subtotal - paid,
            shippingMinor,
            paid + shippingMinor,
            paymentMethod,
            JSON.stringify(address),
          ],
        );
        for (const [index, item] of items.entries()) {
          await tx.query(
            `INSERT INTO orders.order_items (order_id, line, product_id, name, unit_price_minor, quantity)
             VALUES ($1, $2, $3, $4, $5, $6)`,
            [id, index + 1, item.productId, item.name, item.unitPriceMinor, item.quantity],
          );
        }
      });
      reply.code(201);
      return loadOrder(db, id);
    },
  );

  return app;
}
