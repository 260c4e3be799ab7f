import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { BffConfig } from '../config.js';
import type { CookieJar } from '../cookies.js';
import type { DPoPKey } from '../dpop-key.js';
import { BffError } from '../errors.js';
import type { BffMetrics } from '../metrics.js';
import { sendProblem } from '../problem.js';
import { type ActiveSession, type Ended, SessionEndedError, type SessionManager } from '../sessions.js';
import { hasBody, type Refusal, refusalOf } from './checks.js';
import { Forward } from './forward.js';
import { UpstreamHeaders } from './headers.js';
import type { LongLivedConnections } from './long-lived.js';
import { ProofBatch } from './proof-batch.js';
import { ProxyReporter, type ProxyStats } from './reporter.js';
import { isApiTarget, nameEnd, UpstreamTable } from './upstreams.js';
import { WebSocketProxy } from './websocket.js';

const NO_SUCH_API: Refusal = Object.freeze({ status: 404, code: 'not_found', detail: 'No such API.' });
const SIGN_IN: Refusal = Object.freeze({
  status: 401,
  code: 'unauthenticated',
  detail: 'Sign in to use this API.',
});
const SESSION_ENDED: Refusal = Object.freeze({
  status: 401,
  code: 'session_expired',
  detail: 'Your session has ended. Sign in again.',
});

/**
 * `/api/<service>/<rest>` → `<upstream>/<rest>` for allow-listed upstreams (README, "API proxy"), on raw
 * Node request/response objects so the authenticated hot path stays lean: CSRF header and Fetch Metadata
 * checks, session lookup, token refresh when due, identity headers from the client removed, the bearer
 * token attached, bodies streamed both ways through an undici keep-alive pool per upstream. Answers are
 * problem+json for every refusal; an API request never gets a redirect.
 *
 * {@link handle} is the one way in: the standalone server's fast path and the plugin's `/api/*` route both
 * call it. Each request's state is one {@link Forward}; what happens is reported to a {@link ProxyReporter}.
 * Long-lived connections of upstreams that opt in — WebSocket upgrades ({@link upgrade}) and event streams
 * of `sse` upstreams — are held in {@link LongLivedConnections} and closed when their session ends.
 */
export class ApiProxy {
  readonly #origin: string;
  readonly #sessions: SessionManager;
  readonly #cookies: CookieJar;
  readonly #upstreams: UpstreamTable;
  readonly #headers: UpstreamHeaders;
  readonly #reporter: ProxyReporter;
  readonly #longLived: LongLivedConnections;
  readonly #websockets: WebSocketProxy;
  /** The last DPoP nonce each upstream asked for (by name): sent in the next proofs, saving the challenge. */
  readonly #nonces = new Map<string, string>();
  /** DPoP proofs of one event-loop turn, signed together (see ProofBatch). */
  readonly #proofs = new ProofBatch();

  constructor(
    config: BffConfig,
    sessions: SessionManager,
    cookies: CookieJar,
    longLived: LongLivedConnections,
    log: Logger,
    metrics?: BffMetrics,
    dpop?: DPoPKey,
  ) {
    this.#origin = config.origin;
    this.#sessions = sessions;
    this.#cookies = cookies;
    this.#upstreams = new UpstreamTable(config, metrics);
    this.#headers = new UpstreamHeaders(config, dpop);
    this.#reporter = new ProxyReporter(log, metrics);
    this.#longLived = longLived;
    this.#websockets = new WebSocketProxy(config, {
      sessions,
      cookies,
      upstreams: this.#upstreams,
      headers: this.#headers,
      longLived,
      reporter: this.#reporter,
    });
  }

  /**
   * Serves one HTTP `upgrade` (the server's event): a WebSocket handshake to `/api/<upstream>/…`. Answers
   * `false` when the target is not the proxy's (another listener may take it); never throws.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (!isApiTarget(req.url)) return false;
    this.#websockets.handle(req, socket, head);
    return true;
  }

  /** What the proxy counted: forwarded, refused, upstream errors. */
  get stats(): ProxyStats {
    return this.#reporter.stats;
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
    const url = req.url;
    // The fast path hands over `/api/…` only; a route matched on a decoded path (`/%61pi/…`) is no API.
    if (!isApiTarget(url)) return this.#refuse(res, NO_SUCH_API);
    const end = nameEnd(url);
    const route = this.#upstreams.find(url, end);
    if (!route) return this.#refuse(res, NO_SUCH_API);
    const method = req.method ?? 'GET';
    const rest = url.slice(end);
    const queryAt = rest.indexOf('?');
    const restPath = queryAt === -1 ? rest : rest.slice(0, queryAt);
    const withBody = hasBody(req, method);
    const stream =
      route.upstream.sse && method === 'GET' && req.headers.accept?.includes('text/event-stream') === true;
    const refusal = refusalOf(req, route, method, restPath, withBody, this.#origin, stream);
    if (refusal) {
      if (refusal.csrf !== undefined) this.#reporter.csrfRefused(route, method, refusal.csrf);
      return this.#refuse(res, refusal);
    }
    const forward = new Forward(req, res, route, method, rest, restPath, withBody, this.#reporter, stream);
    const cookie = this.#cookies.session(req.headers.cookie);
    if (cookie.kind !== 'id') {
      return route.upstream.access === 'required'
        ? this.#refuse(res, SIGN_IN)
        : this.#send(forward, undefined);
    }
    // Usually answered synchronously from the session cache: no promise, no extra tick.
    const session = this.#sessions.resolve(cookie.id);
    if (session instanceof Promise)
      return session.then((found) => this.#withSession(forward, cookie.id, found));
    return this.#withSession(forward, cookie.id, session);
  }

  #withSession(forward: Forward, id: string, session: ActiveSession | Ended): Promise<void> | undefined {
    if (!('record' in session)) return this.#anonymous(forward, id, session.ended);
    forward.record = session.record;
    if (forward.stream) {
      const refusal = this.#longLived.refusal(id);
      if (refusal) return this.#refuse(forward.res, refusal);
      const held = this.#longLived.hold(session, forward.endStream, {
        kind: 'sse',
        upstream: forward.route.name,
      });
      forward.res.once('close', held.release);
    }
    const token = this.#sessions.accessToken(session, forward.route.token);
    if (typeof token === 'string') return this.#send(forward, token);
    return token.then(
      (fresh) => this.#send(forward, fresh),
      (error: unknown) => {
        if (!(error instanceof SessionEndedError)) throw error;
        return this.#anonymous(forward, id, error.reason);
      },
    );
  }

  /** The session has ended: a `required` upstream answers 401, a `public` one is asked without a token. */
  #anonymous(forward: Forward, id: string, reason: Ended['ended']): Promise<void> | undefined {
    if (forward.route.upstream.access !== 'required') return this.#send(forward, undefined);
    this.#reporter.sessionEnded(id, reason);
    return this.#refuse(forward.res, SESSION_ENDED);
  }

  /** Sends `forward` upstream; with DPoP on and a token, once its proof is signed with the turn's others (ProofBatch). */
  #send(forward: Forward, bearer: string | undefined): undefined {
    const headers = this.#headers.build(forward, bearer);
    if (bearer === undefined || this.#headers.dpop === undefined) {
      forward.dispatch(headers);
      return undefined;
    }
    const { restPath, route, method } = forward;
    const path = restPath.length === 0 ? `${route.basePath}/` : `${route.basePath}${restPath}`;
    if (!forward.hasBody && !forward.stream)
      forward.retry = (nonce) => {
        this.#nonces.set(route.name, nonce);
        try {
          const signed = this.#headers.proof(
            this.#headers.build(forward, bearer),
            route,
            method,
            path,
            bearer,
            nonce,
          );
          forward.dispatch(signed);
        } catch (error) {
          this.#fail(forward.res, error);
        }
      };
    this.#proofs.add({
      sign: () => this.#headers.proof(headers, route, method, path, bearer, this.#nonces.get(route.name)),
      send: (signed) => forward.dispatch(signed),
      fail: (error) => this.#fail(forward.res, error),
    });
    return undefined;
  }

  #refuse(res: ServerResponse, refusal: Refusal): undefined {
    this.#reporter.refused(refusal.status, refusal.code);
    sendProblem(res, refusal.status, refusal.code, refusal.detail, refusal.headers);
    return undefined;
  }

  #fail(res: ServerResponse, error: unknown): void {
    this.#reporter.crashed(error);
    if (error instanceof BffError) sendProblem(res, error.status, error.problem, error.detail, error.headers);
    else sendProblem(res, 500, 'internal', 'Something went wrong.');
  }

  /** Closes the upstream connection pools. */
  async close(): Promise<void> {
    await this.#upstreams.close();
  }
}
