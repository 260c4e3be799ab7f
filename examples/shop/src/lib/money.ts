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
