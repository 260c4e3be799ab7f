/**
 * The request headers the API proxy forwards upstream: an allow-list, so a header an upstream (or the proxy
 * in front of it) would trust — `X-HTTP-Method-Override`, `X-Original-URL`, `Remote-User`, `X-Api-Key`,
 * `X-Amzn-OIDC-Identity`, `X-MS-Client-Principal-Name`… — never reaches it from the browser, whatever its
 * name. Content negotiation, conditional and range requests, the body's description, trace context and
 * request ids pass; everything else needs a per-upstream `forwardHeaders` entry.
 *
 * Left out on purpose: `baggage` (key-values from the browser that OpenTelemetry hands to every service
 * behind; some deployments read user or tenant hints from it), `origin` and `referer` (the BFF checks them;
 * an API behind it has no use for them), and every `x-` header but `x-request-id`.
 */
export const DEFAULT_FORWARDED_HEADERS: readonly string[] = Object.freeze([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-encoding',
  'content-language',
  'content-length',
  'content-type',
  'idempotency-key',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'prefer',
  'range',
  'traceparent',
  'tracestate',
  'user-agent',
  'x-request-id',
]);

/** Headers the BFF writes itself or that are hop-by-hop or credentials: never forwarded from the client. */
const RESERVED = new Set([
  'authorization',
  'connection',
  'cookie',
  'expect',
  'forwarded',
  'host',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-csrf',
  'x-real-ip',
]);
const RESERVED_PREFIXES = ['x-forwarded-', 'proxy-'];

/**
 * True for a header name no configuration may add to the forwarded ones: what the BFF sets (`Host`,
 * `Authorization`, `X-Forwarded-*`), the browser's credentials (`Cookie`, `x-csrf`) and hop-by-hop headers.
 */
export function isReservedHeader(name: string): boolean {
  return RESERVED.has(name) || RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix));
}
