import type { IncomingHttpHeaders } from 'node:http';

/** Why a request was refused as possibly cross-site, or `undefined` when it may proceed. */
export type CsrfVerdict = undefined | { readonly reason: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

function originOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return new URL(value).origin;
  } catch {
    return 'invalid';
  }
}

/**
 * Checks the custom CSRF header and Fetch Metadata for requests that act with the session
 * (docs/security-requirements.md#d26 and #d29; docs/http-contract.md#api-proxy):
 * - `x-csrf: 1` must be present (a cross-origin page cannot send it without a CORS preflight we never allow);
 * - `Sec-Fetch-Site: cross-site` is refused; `same-site` is refused for state-changing methods;
 * - without Fetch Metadata, a state-changing request needs an `Origin` (or `Referer`) equal to ours.
 *
 * @example
 * const verdict = checkCsrf(req.method, req.headers, 'https://shop.example');
 * if (verdict) return sendProblem(res, 403, 'csrf_failed', verdict.reason);
 */
export function checkCsrf(
  method: string | undefined,
  headers: IncomingHttpHeaders,
  origin: string,
): CsrfVerdict {
  if (first(headers['x-csrf']) !== '1') return { reason: 'The x-csrf header is missing.' };
  const safe = SAFE_METHODS.has(method ?? 'GET');
  const site = first(headers['sec-fetch-site']);
  if (site !== undefined) {
    if (site === 'cross-site') return { reason: 'Cross-site requests are refused.' };
    if (site === 'same-site' && !safe) return { reason: 'Same-site requests may not change state.' };
    if (site !== 'same-origin' && site !== 'same-site' && site !== 'none') {
      return { reason: 'Unknown Sec-Fetch-Site value.' };
    }
  }
  if (!safe) {
    const from = originOf(first(headers.origin)) ?? originOf(first(headers.referer));
    if (from === undefined && site === undefined) return { reason: 'Origin and Referer are both missing.' };
    if (from !== undefined && from !== origin) return { reason: 'The request comes from another origin.' };
  }
  return undefined;
}

const TRUSTED_SITES = new Set(['same-origin', 'same-site', 'none']);
const NAVIGATION_METHODS = new Set(['GET', 'HEAD']);
/** Navigations that load a page into a plugin element of another site's page: treated as subresources. */
const EMBEDDING_DESTINATIONS = new Set(['object', 'embed']);

/**
 * Fetch Metadata resource isolation for endpoints without the `x-csrf` header, such as `GET /auth/session` and
 * the push channel's `EventSource` (docs/security-requirements.md#d29; Google's Resource Isolation Policy): a cross-site (or
 * unknown `Sec-Fetch-Site`) request is refused unless it is a GET or HEAD navigation (not into `<object>` or
 * `<embed>`): another site may link to the login, the issuer may redirect to the callback and frame the
 * front-channel logout, but no other site can read these answers or load them as an image or a script.
 * Requests without Fetch Metadata (older browsers, servers) and same-origin, same-site or user-initiated ones
 * pass.
 *
 * @example
 * const verdict = checkResourceIsolation(req.method, req.headers);
 * if (verdict) return sendProblem(res, 403, 'csrf_failed', verdict.reason);
 */
export function checkResourceIsolation(
  method: string | undefined,
  headers: IncomingHttpHeaders,
): CsrfVerdict {
  const site = first(headers['sec-fetch-site']);
  if (site === undefined || TRUSTED_SITES.has(site)) return undefined;
  const navigation =
    NAVIGATION_METHODS.has(method ?? 'GET') &&
    first(headers['sec-fetch-mode']) === 'navigate' &&
    !EMBEDDING_DESTINATIONS.has(first(headers['sec-fetch-dest']) ?? '');
  if (navigation) return undefined;
  return {
    reason: site === 'cross-site' ? 'Cross-site requests are refused.' : 'Unknown Sec-Fetch-Site value.',
  };
}

/**
 * True when a request is a top-level HTML navigation (Fetch Metadata, or `Accept: text/html` for
 * clients that send none). Only navigations are answered with redirects; API calls never are.
 */
export function isNavigation(headers: IncomingHttpHeaders): boolean {
  const mode = first(headers['sec-fetch-mode']);
  if (mode !== undefined) return mode === 'navigate';
  const accept = first(headers.accept) ?? '';
  return accept.includes('text/html');
}

/**
 * The CSRF check of a long-lived connection's handshake (a WebSocket upgrade, an `EventSource`), which cannot
 * carry the `x-csrf` header: `Sec-Fetch-Site`, when present, must be `same-origin`, and `Origin` must equal
 * ours exactly. A browser always sends `Origin` on a WebSocket handshake (`originRequired`); on an
 * `EventSource` it sends it only cross-origin, where it then differs from ours and is refused. Cookies are
 * `SameSite=Lax`, so a cross-site page's connection arrives without a session anyway; these checks refuse
 * the same-site (sibling subdomain) and cross-site ones whatever the cookie does (cross-site WebSocket
 * hijacking: no CORS protects a WebSocket).
 *
 * @example
 * const verdict = checkHandshake(req.headers, 'https://shop.example', true);
 * if (verdict) refuse(socket, 403, 'csrf_failed', verdict.reason);
 */
export function checkHandshake(
  headers: IncomingHttpHeaders,
  origin: string,
  originRequired: boolean,
): CsrfVerdict {
  const site = first(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin')
    return { reason: 'Only same-origin connections are accepted.' };
  const from = first(headers.origin);
  if (from === undefined) return originRequired ? { reason: 'The Origin header is missing.' } : undefined;
  return from === origin ? undefined : { reason: 'The connection comes from another origin.' };
}
