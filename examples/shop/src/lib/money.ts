/** The shop's currency: every price is in paise (₹1 = 100). */
export const SHOP_CURRENCY = 'INR';

/** The member price: `percent` off, rounded to whole rupees. */
export function memberPrice(priceMinor: number, percent: number): number {
  return Math.round((priceMinor * (100 - percent)) / 100 / 100) * 100;
}

/** Delivery is free from ₹499; below that it costs ₹49. */
export function shippingFor(subtotalMinor: number): number {
  return subtotalMinor === 0 || subtotalMinor >= 49_900 ? 0 : 4_900;
}

/** Cash on delivery is offered for orders up to ₹10,000. */
export const CASH_ON_DELIVERY_LIMIT_MINOR = 1_000_000;

/**
 * Orders of more than ₹20,000 need a recent second factor (`acr` loa:2 within {@link SECOND_FACTOR}'s
 * `maxAge`): the checkout API asks for a step-up, the checkout remote for the security code.
 */
export const STEP_UP_ORDER_MINOR = 2_000_000;
