import type { IncomingMessage } from 'node:http';
import type { BffConfig } from '../config.js';
import type { DPoPKey } from '../dpop-key.js';
import { continueTrace } from '../trace.js';
import type { UpstreamRoute } from './upstreams.js';

/** What a request to an upstream is, as the headers see it (a proxied request, or a WebSocket handshake). */
export interface UpstreamTarget {
  readonly req: IncomingMessage;
  readonly route: UpstreamRoute;
  /** A long-lived stream: asked uncompressed, so no compressor upstream holds events back. */
  readonly stream: boolean;
  /** A WebSocket handshake: its own `Sec-WebSocket-*` headers go upstream too (key, version, protocol, extensions). */
  readonly websocket?: boolean;
  /** Set by {@link UpstreamHeaders.build}: the W3C trace id it travels under. */
  traceId: string | undefined;
}

/** Response headers never passed back: hop-by-hop, and cookies (an upstream must not set cookies on the app's origin). */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'set-cookie',
  'proxy-authenticate',
  'proxy-connection',
]);
const VARY_COOKIE = /(^|,)\s*cookie\s*(,|$)/i;

/**
 * Builds what the upstream receives: only the client's headers the upstream's allow-list names
 * (`DEFAULT_FORWARDED_HEADERS` and its own `forwardHeaders`), less those its `Connection` header names; then
 * `Host`, `X-Forwarded-Host`/`-Proto`/`-For`, the bearer token when there is one, and `traceparent` (the
 * client's trace continued with a span of the BFF's, or a new trace).
 */
export class UpstreamHeaders {
  readonly #forwardedHost: string;
  readonly #forwardedProto: string;
  readonly #trustProxy: number;
  /** The deployment's DPoP key, when `dpop` is on: tokens then go as `DPoP <token>` with a proof. */
  readonly dpop: DPoPKey | undefined;

  constructor(config: BffConfig, dpop?: DPoPKey) {
    this.dpop = dpop;
    const publicUrl = new URL(config.publicUrl);
    this.#forwardedHost = publicUrl.host;
    this.#forwardedProto = publicUrl.protocol.slice(0, -1);
    this.#trustProxy = config.trustProxy;
  }

  /**
   * The upstream request's headers (a flat name/value list, as undici takes it) for `forward`, with `bearer`
   * as `Authorization` when given (`Bearer <token>`, or `DPoP <token>` with DPoP on: the caller then adds the
   * proof, see {@link proof}); records the trace id on `forward`.
   */
  build(forward: UpstreamTarget, bearer: string | undefined): string[] {
    const { req, route, stream } = forward;
    const raw = req.rawHeaders;
    const out: string[] = [];
    const allowed = route.forwardHeaders;
    const connectionTokens = connectionTokensOf(req.headers.connection);
    let traceparent: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      if (name === 'traceparent') {
        traceparent ??= raw[i + 1] as string;
        continue;
      }
      const handshake = forward.websocket === true && name.startsWith('sec-websocket-');
      if ((!allowed.has(name) && !handshake) || connectionTokens?.has(name)) continue;
      if (stream && name === 'accept-encoding') continue;
      out.push(name, raw[i + 1] as string);
    }
    out.push(
      'host',
      route.host,
      'x-forwarded-host',
      this.#forwardedHost,
      'x-forwarded-proto',
      this.#forwardedProto,
    );
    const client = this.#clientAddress(req);
    if (client) out.push('x-forwarded-for', client);
    if (bearer) out.push('authorization', this.dpop ? `DPoP ${bearer}` : `Bearer ${bearer}`);
    const trace = continueTrace(traceparent);
    out.push('traceparent', trace.traceparent);
    forward.traceId = trace.traceId;
    return out;
  }

  /**
   * Adds the `DPoP` proof for `method` on the upstream's `path` (its query and fragment left out of `htu`) to
   * `headers`, for `token`; with `nonce` when the upstream asked for one. Only called with DPoP on.
   */
  proof(
    headers: string[],
    route: UpstreamRoute,
    method: string,
    path: string,
    token: string,
    nonce?: string,
  ): string[] {
    const end = path.search(/[?#]/);
    const htu = `${route.origin}${end === -1 ? path : path.slice(0, end)}`;
    headers.push('dpop', (this.dpop as DPoPKey).proof(method, htu, token, nonce));
    return headers;
  }

  #clientAddress(req: IncomingMessage): string | undefined {
    if (this.#trustProxy > 0) {
      const chain = (req.headers['x-forwarded-for'] ?? '')
        .toString()
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      const fromProxy = chain[chain.length - this.#trustProxy];
      if (fromProxy) return fromProxy;
    }
    return req.socket.remoteAddress;
  }
}

/** The header names a `Connection` header lists (hop-by-hop by declaration), beyond keep-alive and close. */
function connectionTokensOf(connection: string | undefined): Set<string> | undefined {
  if (!connection || connection === 'keep-alive' || connection === 'close') return undefined;
  return new Set(
    connection
      .toLowerCase()
      .split(',')
      .map((token) => token.trim()),
  );
}

/**
 * The upstream answer's headers as the client gets them: hop-by-hop headers and `Set-Cookie` dropped, and
 * `Vary: Cookie` added (the answer depends on the session the BFF attached: caches must key on it too).
 */
export function answerHeaders(rawHeaders: Buffer[]): string[] {
  const out: string[] = [];
  let vary = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as Buffer).toString('latin1');
    const lower = name.toLowerCase();
    if (DROPPED_RESPONSE_HEADERS.has(lower)) continue;
    let value = (rawHeaders[i + 1] as Buffer).toString('latin1');
    if (lower === 'vary') {
      vary = true;
      if (value.trim() !== '*' && !VARY_COOKIE.test(value)) value = `${value}, Cookie`;
    }
    out.push(name, value);
  }
  if (!vary) out.push('vary', 'Cookie');
  return out;
}
