import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Dispatcher, Pool } from 'undici';
import type { BffConfig, UpstreamConfig } from './config.js';
import type { CookieJar } from './cookies.js';
import { checkCsrf } from './csrf.js';
import { BffError } from './errors.js';
import { BffMetrics, ProxyAnswers, type UpstreamTally } from './metrics.js';
import { sendProblem } from './problem.js';
import {
  type ActiveSession,
  type Ended,
  SessionEndedError,
  type SessionManager,
  sessionRef,
} from './sessions.js';
import { continueTrace } from './trace.js';

/** Request headers never forwarded: hop-by-hop, credentials, and identity claims a client could forge. */
const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'cookie',
  'authorization',
  'forwarded',
  'x-csrf',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-request-start',
]);
const DROPPED_REQUEST_PREFIXES = [
  'x-forwarded-',
  'x-user',
  'x-tenant',
  'x-auth',
  'x-remote-',
  'x-original-',
  'x-gatehouse',
  'proxy-',
];
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
const SIMPLE_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'];
const UNSAFE_PATH =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  /[\\\u0000-\u001f\u007f#]|%(?:2f|5c|00|[01][0-9a-f]|7f)|\/\/|(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

interface Route {
  readonly name: string;
  readonly upstream: UpstreamConfig;
  readonly pool: Pool;
  readonly basePath: string;
  readonly host: string;
  readonly methods: ReadonlySet<string>;
  /** Where the metrics of its answers are counted (none without metrics). */
  readonly tally: UpstreamTally | undefined;
}

/** What the proxy counts, for tests, benchmarks and metrics. */
export interface ProxyStats {
  forwarded: number;
  refused: number;
  upstreamErrors: number;
}

/**
 * `/api/<service>/<rest>` → `<upstream>/<rest>` for allow-listed upstreams (CONTRACT.md "API proxy"), on raw
 * Node request/response objects so the authenticated hot path stays lean: CSRF header and Fetch Metadata
 * checks, session lookup, token refresh when due, identity headers from the client removed, the bearer
 * token attached, bodies streamed both ways through an undici keep-alive pool per upstream. Answers are
 * problem+json for every refusal; an API request never gets a redirect.
 */
export class ApiProxy {
  readonly stats: ProxyStats = { forwarded: 0, refused: 0, upstreamErrors: 0 };
  readonly #config: BffConfig;
  readonly #sessions: SessionManager;
  readonly #cookies: CookieJar;
  readonly #log: Logger;
  readonly #routes = new Map<string, Route>();
  readonly #forwardedHost: string;
  readonly #forwardedProto: string;

  readonly #metrics: BffMetrics | undefined;

  constructor(
    config: BffConfig,
    sessions: SessionManager,
    cookies: CookieJar,
    log: Logger,
    metrics?: BffMetrics,
  ) {
    this.#metrics = metrics;
    this.#config = config;
    this.#sessions = sessions;
    this.#cookies = cookies;
    this.#log = log;
    const publicUrl = new URL(config.publicUrl);
    this.#forwardedHost = publicUrl.host;
    this.#forwardedProto = publicUrl.protocol.slice(0, -1);
    for (const [name, upstream] of Object.entries(config.upstreams)) {
      const url = new URL(upstream.url);
      this.#routes.set(name, {
        name,
        upstream,
        pool: new Pool(url.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 }),
        basePath: url.pathname.replace(/\/+$/, ''),
        host: url.host,
        methods: new Set(upstream.methods),
        tally: metrics?.proxyAnswers.tally(name),
      });
    }
  }

  /** Serves one `/api/*` request. Never throws; every failure becomes a problem+json answer. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      const pending = this.#handle(req, res);
      if (pending !== undefined) pending.catch((error: unknown) => this.#fail(res, error));
    } catch (error) {
      this.#fail(res, error);
    }
  }

  /** Checks and forwards; synchronous unless the session must be read from the store or refreshed. */
  #handle(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    // `/api/<name>` then `/rest`, `?query` or nothing.
    let end = 5;
    while (end < url.length && url.charCodeAt(end) !== 47 && url.charCodeAt(end) !== 63) end++;
    const route = this.#routes.get(url.slice(5, end));
    if (!route) return this.#refuse(res, 404, 'not_found', 'No such API.');
    if (!route.methods.has(method)) {
      return this.#refuse(res, 405, 'method_not_allowed', `${method} is not allowed on this API.`, {
        allow: [...route.methods].join(', '),
      });
    }
    const csrf = checkCsrf(method, req.headers, this.#config.origin);
    if (csrf) {
      this.#log.warn(
        { event: 'csrf_refused', reason: csrf.reason, upstream: route.name, method },
        'request refused',
      );
      return this.#refuse(res, 403, 'csrf_failed', csrf.reason);
    }
    const rest = url.slice(end);
    const queryAt = rest.indexOf('?');
    const restPath = queryAt === -1 ? rest : rest.slice(0, queryAt);
    if (UNSAFE_PATH.test(restPath)) {
      return this.#refuse(res, 400, 'bad_request', 'The API path is not allowed.');
    }
    const hasBody =
      method !== 'GET' &&
      method !== 'HEAD' &&
      (req.headers['content-length'] !== undefined
        ? req.headers['content-length'] !== '0'
        : req.headers['transfer-encoding'] !== undefined);
    if (hasBody) {
      const type = (req.headers['content-type'] ?? '').toLowerCase();
      if (type === '' || SIMPLE_CONTENT_TYPES.some((simple) => type.startsWith(simple))) {
        return this.#refuse(
          res,
          415,
          'unsupported_media_type',
          'Send a JSON (or other non-simple) content type.',
        );
      }
    }

    const cookie = this.#cookies.session(req.headers.cookie);
    if (cookie.kind !== 'id') {
      if (route.upstream.access === 'required') {
        return this.#refuse(res, 401, 'unauthenticated', 'Sign in to use this API.');
      }
      return this.#forward(req, res, route, method, rest, restPath, hasBody, undefined);
    }
    // Usually answered synchronously from the session cache: no promise, no extra tick.
    const session = this.#sessions.resolve(cookie.id);
    if (session instanceof Promise) {
      return session.then((found) =>
        this.#withSession(req, res, route, method, rest, restPath, hasBody, cookie.id, found),
      );
    }
    return this.#withSession(req, res, route, method, rest, restPath, hasBody, cookie.id, session);
  }

  #withSession(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    method: string,
    rest: string,
    restPath: string,
    hasBody: boolean,
    id: string,
    session: ActiveSession | Ended,
  ): Promise<void> | undefined {
    if (!('record' in session)) {
      if (route.upstream.access === 'required') {
        this.#log.info(
          { event: 'unauthorized', reason: session.ended, session: sessionRef(id) },
          'session ended',
        );
        return this.#refuse(res, 401, 'session_expired', 'Your session has ended. Sign in again.');
      }
      return this.#forward(req, res, route, method, rest, restPath, hasBody, undefined);
    }
    const token = this.#sessions.accessToken(session);
    if (typeof token === 'string')
      return this.#forward(req, res, route, method, rest, restPath, hasBody, token);
    return token.then(
      (fresh) => this.#forward(req, res, route, method, rest, restPath, hasBody, fresh),
      (error: unknown) => {
        if (!(error instanceof SessionEndedError)) throw error;
        if (route.upstream.access === 'required') {
          // The same line as a session found ended, so every 401 of an ended session is in the audit trail.
          this.#log.info(
            { event: 'unauthorized', reason: error.reason, session: sessionRef(id) },
            'session ended',
          );
          return this.#refuse(res, 401, 'session_expired', 'Your session has ended. Sign in again.');
        }
        return this.#forward(req, res, route, method, rest, restPath, hasBody, undefined);
      },
    );
  }

  #forward(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    method: string,
    rest: string,
    restPath: string,
    hasBody: boolean,
    bearer: string | undefined,
  ): undefined {
    const forward = new Forward(this, res, route, method, restPath, performance.now());
    res.on('close', forward.onClientClose);
    route.pool.dispatch(
      {
        // `rest` is '' or starts with '/' or '?': the upstream path always starts with '/'.
        path:
          rest.length === 0 || rest.charCodeAt(0) === 63
            ? `${route.basePath}/${rest}`
            : `${route.basePath}${rest}`,
        method: method as 'GET',
        headers: this.#upstreamHeaders(req, route, bearer, forward),
        body: hasBody ? req : null,
        headersTimeout: route.upstream.timeoutMs,
        bodyTimeout: route.upstream.timeoutMs,
      },
      forward,
    );
    return undefined;
  }

  /** Logs an upstream's 401/403 (an authorization failure worth an audit line). */
  denied(upstream: string, status: number, method: string, path: string, traceId: string | undefined): void {
    this.#log.info(
      { event: 'access_denied', status, upstream, method, path, traceId },
      'upstream denied access',
    );
  }

  /** Answers an upstream failure before any of its answer was sent. */
  upstreamFailed(res: ServerResponse, upstream: string, error: unknown, traceId: string | undefined): void {
    this.stats.upstreamErrors++;
    this.#metrics?.proxyRequests.inc({ upstream, status: '5xx' });
    this.#log.warn({ event: 'upstream_error', upstream, traceId, err: error }, 'upstream failed');
    const code = (error as { code?: string }).code;
    const status =
      code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
        ? 504
        : code === 'ECONNREFUSED'
          ? 503
          : 502;
    sendProblem(res, status, 'upstream_unavailable', `The ${upstream} service is not available.`);
  }

  #upstreamHeaders(
    req: IncomingMessage,
    route: Route,
    bearer: string | undefined,
    forward: Forward,
  ): string[] {
    const raw = req.rawHeaders;
    const out: string[] = [];
    let connectionTokens: Set<string> | undefined;
    const connection = req.headers.connection;
    if (connection && connection !== 'keep-alive' && connection !== 'close') {
      connectionTokens = new Set(
        connection
          .toLowerCase()
          .split(',')
          .map((token) => token.trim()),
      );
    }
    let traceparent: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      if (name === 'traceparent') {
        traceparent ??= raw[i + 1] as string;
        continue;
      }
      if (DROPPED_REQUEST_HEADERS.has(name) || connectionTokens?.has(name)) continue;
      if (name.charCodeAt(0) === 120 /* x */ || name.charCodeAt(0) === 112 /* p */) {
        if (DROPPED_REQUEST_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
      }
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
    if (bearer) out.push('authorization', `Bearer ${bearer}`);
    const trace = continueTrace(traceparent);
    out.push('traceparent', trace.traceparent);
    forward.traceId = trace.traceId;
    return out;
  }

  #clientAddress(req: IncomingMessage): string | undefined {
    if (this.#config.trustProxy > 0) {
      const chain = (req.headers['x-forwarded-for'] ?? '')
        .toString()
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      const fromProxy = chain[chain.length - this.#config.trustProxy];
      if (fromProxy) return fromProxy;
    }
    return req.socket.remoteAddress;
  }

  #refuse(
    res: ServerResponse,
    status: number,
    code: Parameters<typeof sendProblem>[2],
    detail: string,
    headers?: Record<string, string>,
  ): undefined {
    this.stats.refused++;
    if (this.#metrics) {
      this.#metrics.proxyRequests.inc({ upstream: 'refused', status: BffMetrics.statusClass(status) });
      if (status === 401 || status === 403) this.#metrics.denials.inc({ code });
    }
    sendProblem(res, status, code, detail, headers);
    return undefined;
  }

  /** Records one upstream answer's status and how long its headers took (metrics). */
  answered(route: Route, status: number, startedAt: number): void {
    if (route.tally !== undefined)
      ProxyAnswers.record(route.tally, status, (performance.now() - startedAt) / 1000);
  }

  #fail(res: ServerResponse, error: unknown): void {
    if (error instanceof BffError) {
      if (error.status >= 500)
        this.#log.error({ event: 'proxy_error', code: error.code, err: error.cause ?? error }, error.message);
      sendProblem(res, error.status, error.problem, error.message);
      return;
    }
    this.#log.error({ event: 'proxy_error', err: error }, 'unexpected proxy failure');
    sendProblem(res, 500, 'internal', 'Something went wrong.');
  }

  /** Closes the upstream connection pools. */
  async close(): Promise<void> {
    await Promise.all([...this.#routes.values()].map((route) => route.pool.close()));
  }
}

/**
 * Carries one upstream answer onto the Node response through undici's dispatch API: no promise, no stream
 * adapter and no AbortController per request. Backpressure: the upstream is paused while the client's
 * socket drains. A client that goes away aborts the upstream request.
 */
class Forward implements Dispatcher.DispatchHandler {
  readonly #proxy: ApiProxy;
  readonly #res: ServerResponse;
  readonly #route: Route;
  readonly #method: string;
  readonly #path: string;
  #abort: ((reason?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #clientGone = false;
  readonly #startedAt: number;
  /** The W3C trace id this request travels under (for log lines). */
  traceId: string | undefined;

  constructor(
    proxy: ApiProxy,
    res: ServerResponse,
    route: Route,
    method: string,
    path: string,
    startedAt: number,
  ) {
    this.#startedAt = startedAt;
    this.#proxy = proxy;
    this.#res = res;
    this.#route = route;
    this.#method = method;
    this.#path = path;
  }

  /** `close` listener of the client response. */
  readonly onClientClose = (): void => {
    if (this.#res.writableFinished) return;
    this.#clientGone = true;
    this.#abort?.(new Error('the client went away'));
  };

  // undici 7 drives dispatch handlers through these methods natively (the newer `onResponse*` methods are
  // adapted onto them, parsing headers into an object first); using them saves that work per request.
  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    if (this.#clientGone) abort(new Error('the client went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.#proxy.answered(this.#route, statusCode, this.#startedAt);
    if (statusCode === 401 || statusCode === 403)
      this.#proxy.denied(this.#route.name, statusCode, this.#method, this.#path, this.traceId);
    const out: string[] = [];
    let vary = false;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] as Buffer).toString('latin1');
      const lower = name.toLowerCase();
      if (DROPPED_RESPONSE_HEADERS.has(lower)) continue;
      let value = (rawHeaders[i + 1] as Buffer).toString('latin1');
      // The answer depends on the session the BFF attached: caches must key on the cookie too.
      if (lower === 'vary') {
        vary = true;
        if (value.trim() !== '*' && !/(^|,)\s*cookie\s*(,|$)/i.test(value)) value = `${value}, Cookie`;
      }
      out.push(name, value);
    }
    if (!vary) out.push('vary', 'Cookie');
    this.#resume = resume;
    this.#res.writeHead(statusCode, out);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#res.write(chunk)) return true;
    this.#res.once('drain', this.#resume as () => void);
    return false;
  }

  onComplete(): void {
    this.#proxy.stats.forwarded++;
    this.#res.end();
  }

  onError(error: Error): void {
    if (this.#clientGone || this.#res.destroyed) return;
    if (this.#res.headersSent) {
      this.#res.destroy(error);
      return;
    }
    this.#proxy.upstreamFailed(this.#res, this.#route.name, error, this.traceId);
  }
}
