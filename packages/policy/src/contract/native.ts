/**
 * Hybrid apps, defined once for the three ends that speak it: the BFF's native session handoff (OAuth for
 * native apps, RFC 8252, with PKCE, RFC 7636, in front of the BFF), the native host that redeems it and
 * serves the WebView, and the browser side of the bridge (`@gatehouse/shell/native`).
 *
 * The WebView's JavaScript never holds a credential: the host keeps the session handle and attaches it to
 * each request it forwards; the page sends `{ method, path, headers, body }` and gets
 * `{ status, headers, body }` back.
 */

import { sessionHandlePattern, sessionsPath } from './sessions.js';
import { pendingActionNamePattern, pendingActionPath } from './step-up.js';
import { tenantPath } from './tenant.js';

/** The BFF's routes of the native session handoff. */
export const nativePaths = {
  /** `GET`: opened by the host in the system browser; signs the user in, then back to the app's redirect. */
  authorize: '/auth/native/authorize',
  /** `GET`: where the sign-in returns in the system browser; mints the one-time code. */
  complete: '/auth/native/complete',
  /** `POST` JSON {@link NativeTokenRequest}: the host redeems the code for {@link NativeTokenResponse}. */
  token: '/auth/native/token',
} as const;

/** Limits of the handoff, shared by the BFF's schemas and the hosts. */
export const nativeHandoffLimits = {
  /** Milliseconds a one-time code may wait to be redeemed. */
  codeTtlMs: 60_000,
  /** Characters of `code_verifier` (RFC 7636 §4.1: 43 to 128). */
  verifierMin: 43,
  verifierMax: 128,
  /** Characters of the app's `state`. */
  stateMax: 256,
  /** Characters of a redirect URI. */
  redirectMax: 512,
} as const;

/** Wire patterns (anchored JSON-schema patterns). */
export const nativeHandoffPatterns = {
  /** RFC 7636 §4.1 unreserved characters. */
  verifier: '^[A-Za-z0-9._~-]{43,128}$',
  /** S256 of a verifier: 43 characters of base64url. */
  challenge: '^[A-Za-z0-9_-]{43}$',
  /** The app's opaque `state`: visible ASCII. */
  state: '^[\\x21-\\x7e]{1,256}$',
  /** The one-time code the BFF mints (base64url). */
  code: '^[A-Za-z0-9_-]{20,100}$',
} as const;

/** `POST /auth/native/token`'s JSON body (the names of RFC 6749 §4.1.3). */
export interface NativeTokenRequest {
  readonly grant_type: 'authorization_code';
  readonly code: string;
  readonly code_verifier: string;
  readonly redirect_uri: string;
}

/** `POST /auth/native/token`'s answer. */
export interface NativeTokenResponse {
  /**
   * The session handle: the value of the `Cookie` request header the host attaches to every request it
   * forwards (the BFF's signed session cookie). Only the native side stores it (the OS keyring where one
   * exists); it never enters the WebView.
   */
  readonly handle: string;
  /** When the session ends at the latest if idle (ISO 8601), as `GET /auth/session` says. */
  readonly expiresAt: string;
}

/** The name of the host's script-message handler (`window.webkit.messageHandlers.gatehouse`, Android's listener). */
export const bridgeName = 'gatehouse';

/** What the page sends the host: one API request, or the wait for the next push message. */
export type BridgeMessage = BridgeRequest | BridgeNextEvent;

/** One HTTP request the host forwards to the BFF with the handle attached. */
export interface BridgeRequest {
  readonly kind: 'request';
  readonly method: string;
  /** Origin-form path and query: `/api/…` or one of {@link bridgeAuthActions}. */
  readonly path: string;
  /** Only {@link bridgeRequestHeaders}; anything else is refused. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as text (JSON), at most {@link bridgeLimits}.`bodyBytes`; `null` for none. */
  readonly body: string | null;
}

/** The page waits for the next push message (logout, expiry, role change) the host relays. */
export interface BridgeNextEvent {
  readonly kind: 'next-event';
}

/** What the host answers a {@link BridgeRequest}. */
export interface BridgeResponse {
  readonly status: number;
  /** Only {@link bridgeResponseHeaders}. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Request headers the page may send over the bridge. Never `cookie`, `authorization` or `origin`. */
export const bridgeRequestHeaders = Object.freeze([
  'accept',
  'content-type',
  'traceparent',
  'x-csrf',
  'idempotency-key',
] as const);

/** Response headers the host hands back to the page. Never `set-cookie`. */
export const bridgeResponseHeaders = Object.freeze([
  'content-type',
  'retry-after',
  'etag',
  'cache-control',
] as const);

/**
 * The few `/auth/*` actions the shell and the remotes need over the bridge, with the one method each accepts:
 * the session, its extension and the logout (the shell's), the tenant switch of an organisation picker, and the
 * pending action a remote leaves before a step-up or an expiry (`@gatehouse/remote/step-up`; taken back with `DELETE` on
 * `/auth/pending/{remote}`, see {@link bridgePathAllowed}).
 */
export const bridgeAuthActions: Readonly<Record<string, string>> = Object.freeze({
  '/auth/session': 'GET',
  '/auth/session/extend': 'POST',
  '/auth/logout': 'POST',
  [pendingActionPath]: 'POST',
  // An organisation picker switches the session's active tenant (`@gatehouse/remote/tenant`).
  [tenantPath]: 'POST',
  // An account page lists the user's sessions (`@gatehouse/remote/sessions`); it ends them with DELETE below.
  [sessionsPath]: 'GET',
});

/** `DELETE /auth/sessions/{handle}` and `DELETE /auth/sessions/others`: an account page ends sessions. */
const SESSIONS_END = new RegExp(`^${sessionsPath}/(others|${sessionHandlePattern.slice(1, -1)})$`);

/** `DELETE /auth/pending/{remote}`: a remote takes back its pending action (the name as the BFF reads it). */
const PENDING_TAKE = new RegExp(`^${pendingActionPath}/${pendingActionNamePattern.slice(1)}`);

/** HTTP methods an API request over the bridge may use. */
export const bridgeMethods = Object.freeze(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const);

/** Limits of one bridge message. */
export const bridgeLimits = {
  /** Bytes (UTF-8) of a request body. */
  bodyBytes: 256 * 1024,
  /** Characters of a path with its query. */
  pathMax: 2048,
  /** Characters of one header value. */
  headerValueMax: 1024,
} as const;

/** Why a message was refused (the host answers `{ status: 400 | 403 | 413, … }` with it). */
export type BridgeRefusal = 'malformed' | 'path_not_allowed' | 'header_not_allowed' | 'body_too_large';

/**
 * A message from the page as the host may act on it, or why not: the shape, a path under `/api/` or one of
 * {@link bridgeAuthActions} with its method, allow-listed headers, and a body within the limit. The host
 * checks the frame and origin before this; the page's side checks the same before sending.
 *
 * @example
 * readBridgeMessage({ kind: 'request', method: 'GET', path: '/api/orders/1', headers: {}, body: null })
 * // { message: { kind: 'request', … } }
 * readBridgeMessage({ kind: 'request', method: 'GET', path: '/admin', headers: {}, body: null })
 * // { refused: 'path_not_allowed' }
 */
export function readBridgeMessage(
  value: unknown,
): { readonly message: BridgeMessage } | { readonly refused: BridgeRefusal } {
  const raw = Object(value) as Record<string, unknown>;
  if (raw.kind === 'next-event') return { message: { kind: 'next-event' } };
  const { method, path, headers, body } = raw;
  if (raw.kind !== 'request' || typeof method !== 'string' || typeof path !== 'string')
    return { refused: 'malformed' };
  if (body !== null && typeof body !== 'string') return { refused: 'malformed' };
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers))
    return { refused: 'malformed' };
  if (!bridgePathAllowed(method, path)) return { refused: 'path_not_allowed' };
  const sent: Record<string, string> = {};
  for (const [name, header] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (typeof header !== 'string' || header.length > bridgeLimits.headerValueMax)
      return { refused: 'malformed' };
    if (!(bridgeRequestHeaders as readonly string[]).includes(lower))
      return { refused: 'header_not_allowed' };
    sent[lower] = header;
  }
  if (body !== null && utf8Length(body) > bridgeLimits.bodyBytes) return { refused: 'body_too_large' };
  return { message: { kind: 'request', method, path, headers: sent, body } };
}

/** Bytes of `text` in UTF-8, as `TextEncoder` would write it (a lone surrogate as U+FFFD: 3 bytes). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * Whether `method` on `path` may cross the bridge: `/api/<service>/…` with one of {@link bridgeMethods}, an
 * action of {@link bridgeAuthActions} with its method, `DELETE /auth/pending/{remote}`, or
 * `DELETE /auth/sessions/{handle}` and `/others`. The path must be origin-form, without `..`, `//`,
 * backslashes or encoded slashes, so what the host forwards is what was checked.
 */
export function bridgePathAllowed(method: string, path: string): boolean {
  if (path.length > bridgeLimits.pathMax || !/^\/[\x21-\x7e]*$/.test(path)) return false;
  const pathname = path.split('?')[0] as string;
  if (/\/\.{1,2}(\/|$)|\/\/|\\|%2f|%5c|%2e/i.test(pathname)) return false;
  const action = bridgeAuthActions[pathname];
  if (action !== undefined) return method === action;
  if (PENDING_TAKE.test(pathname) || SESSIONS_END.test(pathname)) return method === 'DELETE';
  return pathname.startsWith('/api/') && (bridgeMethods as readonly string[]).includes(method);
}
