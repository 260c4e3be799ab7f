/**
 * The login request's options and its outcomes: the query of `GET /auth/login` that the shell builds and the
 * BFF validates, and the typed outcome a silent sign-in (`prompt=none`) brings back to the app. One module so
 * the two ends cannot disagree on a name or a limit.
 */

/** The `prompt` values the BFF passes on (OpenID Connect Core 3.1.2.1, and `create` from Initiating User Registration). */
export const loginPrompts = ['login', 'none', 'consent', 'select_account', 'create'] as const;
export type LoginPrompt = (typeof loginPrompts)[number];

/**
 * What `login()` may ask of the issuer, in the names and forms of the authorization request (OpenID Connect
 * Core 3.1.2.1), so the shell passes them on as they are. Each is allow-listed and validated by the BFF (400
 * otherwise).
 */
export interface LoginOptions {
  /** `none` signs in silently: no page at the issuer; when it cannot, the app gets a {@link LoginOutcome}. */
  readonly prompt?: LoginPrompt;
  /** The user the issuer should propose (an e-mail, a login name). */
  readonly login_hint?: string;
  /** Seconds since the user last authenticated at the issuer; older means sign in again. `0` always does. */
  readonly max_age?: number;
  /** Authentication context classes, space-separated, most wanted first; only values the BFF allows. */
  readonly acr_values?: string;
  /** Languages for the issuer's pages, space-separated BCP 47 tags, most wanted first. */
  readonly ui_locales?: string;
}

/** Limits and shapes of the options on the wire, shared by the BFF's schema and its tests. */
export const loginOptionLimits = {
  /** Characters of `login_hint`. */
  loginHint: 256,
  /** Largest `max_age`, in seconds (a year). */
  maxAge: 31_536_000,
  /** Values in `acr_values` and in `ui_locales`. */
  values: 8,
  /** Characters of one `acr_values` value. */
  acrValue: 128,
} as const;

/** Patterns of the wire values (JSON-schema `pattern`s, anchored): no control characters, no surprises. */
export const loginOptionPatterns = {
  /** Printable text without control characters. */
  loginHint: '^[^\\u0000-\\u001f\\u007f]+$',
  /** Decimal seconds, no sign, no leading zeros beyond `0` itself. */
  maxAge: '^(0|[1-9][0-9]{0,7})$',
  /** Space-separated tokens of visible ASCII. */
  acrValues: '^[\\x21-\\x7e]{1,128}( [\\x21-\\x7e]{1,128}){0,7}$',
  /** Space-separated BCP 47 language tags. */
  uiLocales: '^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*( [A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*){0,7}$',
} as const;

/**
 * What a sign-in that could not show a page (`prompt=none`) tells the app: the issuer's own error codes
 * (OpenID Connect Core 3.1.2.6). The app then decides whether to offer an interactive sign-in.
 */
export const loginOutcomes = [
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
] as const;
export type LoginOutcome = (typeof loginOutcomes)[number];

/** The query parameter that carries a {@link LoginOutcome} back to the app's `returnTo`. */
export const loginOutcomeParam = 'gatehouse-login';

/** The query's `name=value` pairs, raw (`search` with or without its leading `?`). */
const pairsOf = (search: string) =>
  search
    .replace(/^\?/, '')
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string | undefined]);

/** The {@link LoginOutcome} in a URL's query string (`location.search`), if it holds a known one. */
export function readLoginOutcome(search: string): LoginOutcome | undefined {
  const value = pairsOf(search).find(([name]) => name === loginOutcomeParam)?.[1];
  return loginOutcomes.find((outcome) => outcome === value);
}

/** `returnTo` (a same-origin path, maybe with a query and a fragment) with `outcome` in its query. */
export function withLoginOutcome(returnTo: string, outcome: LoginOutcome): string {
  const hashAt = returnTo.indexOf('#');
  const beforeHash = hashAt === -1 ? returnTo : returnTo.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : returnTo.slice(hashAt);
  const queryAt = beforeHash.indexOf('?');
  const path = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const kept = pairsOf(queryAt === -1 ? '' : beforeHash.slice(queryAt))
    .filter(([name]) => name !== loginOutcomeParam)
    .map((pair) => pair.filter((part) => part !== undefined).join('='));
  return `${path}?${[...kept, `${loginOutcomeParam}=${outcome}`].join('&')}${hash}`;
}
