import type { IdentityContext } from '@gatehouse/policy';

const FALLBACK_LOCALE = 'en-IN';

/** The user's locale when signed in (from the identity context), else the shop's (`en-IN`). */
export function localeOf(identity: IdentityContext): string {
  const locale = identity.isAuthenticated ? identity.user.locale : undefined;
  try {
    return locale ? Intl.getCanonicalLocales(locale)[0]! : FALLBACK_LOCALE;
  } catch {
    return FALLBACK_LOCALE;
  }
}

/**
 * An amount in minor units (paise) of `currency` (INR: every price of the shop), formatted the way the
 * signed-in user reads numbers (`₹1,29,900.00` for en-IN, `1.299,00 ₹` for de-DE).
 *
 * @example
 * formatMoney(129900, identity) // '₹1,299'
 */
export function formatMoney(minor: number, identity: IdentityContext, currency = 'INR'): string {
  const rupees = minor / 100;
  return new Intl.NumberFormat(localeOf(identity), {
    style: 'currency',
    currency,
    maximumFractionDigits: Number.isInteger(rupees) ? 0 : 2,
    minimumFractionDigits: Number.isInteger(rupees) ? 0 : 2,
  }).format(rupees);
}

/** A date (ISO string) in the user's locale: `22 Nov 2026`, with the time when `time` is set. */
export function formatDate(iso: string, identity: IdentityContext, time = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(localeOf(identity), {
    dateStyle: 'medium',
    ...(time ? { timeStyle: 'short' } : {}),
  }).format(date);
}

/** `1 item`, `3 items`. */
export const plural = (count: number, one: string, many = `${one}s`) =>
  `${count} ${count === 1 ? one : many}`;
