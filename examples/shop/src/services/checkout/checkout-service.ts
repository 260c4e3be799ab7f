import {
  ApiError,
  type AuditOutcome,
  requirePermission,
  requirePrincipal,
  strictObject,
} from '@gatehouse/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import { DeliveryAddress } from '../../lib/address.js';
import {
  CASH_ON_DELIVERY_LIMIT_MINOR,
  SHOP_CURRENCY,
  STEP_UP_ORDER_MINOR,
  shippingFor,
} from '../../lib/money.js';
import { createServiceApp, type ServiceOptions } from '../../lib/service-app.js';
import { apiErrorOf, createServiceClient } from '../../lib/service-client.js';
import { requireSecondFactor } from '../../lib/step-up.js';
import type { Cart } from '../cart/cart-service.js';
import type { ReservedLine } from '../catalog/catalog-service.js';
import { type Order, type PaymentMethod, paymentMethods } from '../orders/orders-service.js';

/** Options of {@link buildCheckoutService}: where the services it orchestrates listen. */
export interface CheckoutServiceOptions extends ServiceOptions {
  readonly catalogUrl: string;
  readonly cartUrl: string;
  readonly ordersUrl: string;
}

/** Whether a payment method can pay for the caller's current cart. */
export interface PaymentMethodOption {
  readonly id: PaymentMethod;
  readonly label: string;
  readonly eligible: boolean;
  /** Why not, when not eligible. */
  readonly reason?: string;
}

const LABELS: Record<PaymentMethod, string> = {
  card: 'Credit or debit card',
  upi: 'UPI',
  cod: 'Cash on delivery',
};

const PlaceOrder = strictObject({
  address: DeliveryAddress,
  paymentMethod: T.Union(paymentMethods.map((method) => T.Literal(method))),
});

function eligibility(method: PaymentMethod, totalMinor: number): PaymentMethodOption {
  if (method === 'cod' && totalMinor > CASH_ON_DELIVERY_LIMIT_MINOR) {
    return {
      id: method,
      label: LABELS[method],
      eligible: false,
      reason: `Cash on delivery is available for orders up to ₹${CASH_ON_DELIVERY_LIMIT_MINOR / 100}.`,
    };
  }
  return { id: method, label: LABELS[method], eligible: true };
}

const outcomeOf = (status: number): AuditOutcome =>
  status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure';

/**
 * The checkout service (no tables of its own): validates the caller's cart, delivery address and payment
 * method, then reserves stock at the catalog, creates the order at the orders service and empties the cart,
 * each over HTTP with the caller's own token. An order of more than ₹20,000 needs a recent second factor
 * (`requireAuthLevel`: a step-up). Stock is put back if the order cannot be created. Every
 * attempt is audited as `checkout.place_order`, in the caller's organisation when they belong to one.
 *
 * @example
 * const checkout = await buildCheckoutService({ db, issuer, serviceKey, catalogUrl, cartUrl, ordersUrl });
 */
export async function buildCheckoutService(options: CheckoutServiceOptions): Promise<FastifyInstance> {
  const app = await createServiceApp('checkout', options);
  const catalog = createServiceClient('catalog', options.catalogUrl, options.serviceKey);
  const cart = createServiceClient('cart', options.cartUrl, options.serviceKey);
  const orders = createServiceClient('orders', options.ordersUrl, options.serviceKey);
  const placed = new WeakMap<FastifyRequest, string>();
  const secondFactor = requireSecondFactor();

  const relay = <R>(promise: Promise<R>): Promise<R> =>
    promise.catch((error: unknown) => {
      throw apiErrorOf(error);
    });

  app.get('/payment-methods', { preHandler: requirePermission('checkout:place_order') }, async (request) => {
    const current = await relay(cart.call<Cart>(request, 'GET', '/'));
    const total = current.totalMinor + shippingFor(current.subtotalMinor);
    return {
      currency: SHOP_CURRENCY,
      totalMinor: total,
      methods: paymentMethods.map((method) => eligibility(method, total)),
    };
  });

  app.post<{ Body: T.Static<typeof PlaceOrder> }>(
    '/orders',
    {
      schema: { body: PlaceOrder },
      preValidation: requirePermission('checkout:place_order'),
      // The audit event carries the caller's organisation (from the token), so an org admin sees their
      // members' orders in the org's audit log.
      onSend: async (request, reply, payload) => {
        if (request.principal) {
          const id = placed.get(request);
          // The organisation the user works in (the token's active tenant), else their first.
          const tenant = request.principal.activeTenant ?? request.principal.tenants[0]?.id;
          await app.gatehouse.audit(request, {
            action: 'checkout.place_order',
            outcome: outcomeOf(reply.statusCode),
            status: reply.statusCode,
            permission: 'checkout:place_order',
            ...(id ? { resource: { type: 'order', id } } : {}),
            ...(tenant ? { tenant } : {}),
          });
        }
        return payload;
      },
    },
    async (request, reply) => {
      requirePrincipal(request);
      const { address, paymentMethod } = request.body;
      const current = await relay(cart.call<Cart>(request, 'GET', '/'));
      if (current.items.length === 0) {
        throw new ApiError('GH_API_CONFLICT', 'empty cart', { detail: 'Your cart is empty.' });
      }
      const gone = current.items.find((line) => line.product === null);
      if (gone) {
        throw new ApiError('GH_API_CONFLICT', 'product gone', {
          detail: `A product in your cart (${gone.productId}) is no longer sold. Remove it to continue.`,
        });
      }
      const short = current.items.find((line) => line.product && line.quantity > line.product.stock);
      if (short?.product) {
        throw new ApiError('GH_API_CONFLICT', 'not enough stock', {
          detail:
            short.product.stock === 0
              ? `${short.product.name} is out of stock.`
              : `Only ${short.product.stock} of ${short.product.name} left.`,
        });
      }
      const total = current.totalMinor + shippingFor(current.subtotalMinor);
      const expected = eligibility(paymentMethod, total);
      if (!expected.eligible) {
        throw new ApiError('GH_API_BAD_REQUEST', 'payment method not eligible', { detail: expected.reason });
      }
      // A large order needs a recent second factor: 401 insufficient_user_authentication otherwise.
      if (total > STEP_UP_ORDER_MINOR) await secondFactor.call(app, request, reply);

      const wanted = current.items.map((line) => ({ productId: line.productId, quantity: line.quantity }));
      const reserved = await relay(
        catalog.call<{ items: ReservedLine[] }>(request, 'POST', '/internal/stock/reservations', {
          items: wanted,
        }),
      );
      let order: Order;
      try {
        const subtotal = reserved.items.reduce((sum, line) => sum + line.listPriceMinor * line.quantity, 0);
        const paid = reserved.items.reduce((sum, line) => sum + line.unitPriceMinor * line.quantity, 0);
        const shippingMinor = shippingFor(subtotal);
        // The prices may have changed since the cart was read: check the method against what is charged.
        const final = eligibility(paymentMethod, paid + shippingMinor);
        if (!final.eligible) {
          throw new ApiError('GH_API_BAD_REQUEST', 'payment method not eligible', { detail: final.reason });
        }
        order = await relay(
          orders.call<Order>(request, 'POST', '/', {
            items: reserved.items.map((line) => ({
              productId: line.productId,
              name: line.name,
              listPriceMinor: line.listPriceMinor,
              unitPriceMinor: line.unitPriceMinor,
              quantity: line.quantity,
            })),
            shippingMinor,
            paymentMethod,
            address,
          }),
        );
      } catch (error) {
        await catalog
          .call(request, 'POST', '/internal/stock/releases', { items: wanted })
          .catch((releaseError: unknown) =>
            request.log.error({ err: releaseError }, 'could not put reserved stock back'),
          );
        throw error;
      }
      placed.set(request, order.id);
      // The order exists: a cart that cannot be emptied now is logged, not a failed checkout.
      await cart
        .call(request, 'DELETE', '/')
        .catch((error: unknown) => request.log.error({ err: error }, 'could not empty the cart'));
      reply.code(201);
      return order;
    },
  );

  return app;
}
