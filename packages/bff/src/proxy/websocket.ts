import { type ClientRequest, request as httpRequest, type IncomingMessage, STATUS_CODES } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { BffConfig } from '../config.js';
import type { CookieJar } from '../cookies.js';
import { checkHandshake } from '../csrf.js';
import { BffError } from '../errors.js';
import { PROBLEM_HEADERS, problem } from '../problem.js';
import { type ActiveSession, type Ended, SessionEndedError, type SessionManager } from '../sessions.js';
import { isUnsafePath, type Refusal } from './checks.js';
import { closeFrame, FrameBoundary } from './frames.js';
import type { UpstreamHeaders, UpstreamTarget } from './headers.js';
import type { HeldConnection, LongLivedConnections } from './long-lived.js';
import type { ProxyReporter } from './reporter.js';
import { nameEnd, type UpstreamRoute, type UpstreamTable } from './upstreams.js';

/** The parts of the proxy a WebSocket handshake uses. */
export interface WebSocketParts {
  readonly sessions: SessionManager;
  readonly cookies: CookieJar;
  readonly upstreams: UpstreamTable;
  readonly headers: UpstreamHeaders;
  readonly longLived: LongLivedConnections;
  readonly reporter: ProxyReporter;
}

const refusal = (status: number, code: Refusal['code'], detail: string): Refusal =>
  Object.freeze({ status, code, detail });
const NO_SUCH_API = refusal(404, 'not_found', 'No such API.');
const NOT_WEBSOCKET = refusal(400, 'bad_request', 'This API does not accept WebSocket connections.');
const BAD_HANDSHAKE = refusal(400, 'bad_request', 'Not a WebSocket handshake.');
const UNSAFE_PATH = refusal(400, 'bad_request', 'The API path is not allowed.');
const SIGN_IN = refusal(401, 'unauthenticated', 'Sign in to use this API.');
const SESSION_ENDED = refusal(401, 'session_expired', 'Your session has ended. Sign in again.');

/** Upstream answer headers never passed back on a 101: the upstream must not set cookies on the app's origin. */
const DROPPED_UPGRADE_HEADERS = new Set(['set-cookie', 'proxy-authenticate', 'keep-alive']);

/** One WebSocket handshake's state: the client's request and socket, and what the checks found. */
class Handshake implements UpstreamTarget {
  readonly stream = true;
  readonly websocket = true;
  traceId: string | undefined;
  held: HeldConnection | undefined;
  upstream: ClientRequest | undefined;
  upstreamSocket: Duplex | undefined;
  /** Where the upstream's frames to the client end, once piped: a close frame may only go between two. */
  frames: FrameBoundary | undefined;
  /** The client socket is being ended gracefully (a close frame or a problem on its way): not destroyed. */
  ending = false;

  constructor(
    readonly req: IncomingMessage,
    readonly socket: Duplex,
    readonly head: Buffer,
    readonly route: UpstreamRoute,
    readonly path: string,
  ) {}

  /** Ends both sides at once (either side left, or the BFF is closing). */
  readonly close = (): void => {
    this.held?.release();
    if (!this.ending) this.socket.destroy();
    this.upstream?.destroy();
    this.upstreamSocket?.destroy();
  };

  /**
   * The session ended: after the upgrade, the client gets a close frame `1008` (policy violation) with the
   * reason `session ended` — after the rest of a frame the upstream was in the middle of, never inside one;
   * before it, a 401 problem. The client's side is not passed on any more, the upstream is cut once its frame
   * is through, and the client socket is ended, destroyed a second later if it lingers.
   */
  readonly endSession = (): void => {
    const { socket, upstreamSocket, frames } = this;
    this.held?.release();
    if (!socket.writable) {
      this.close();
      return;
    }
    this.ending = true;
    setTimeout(() => socket.destroy(), 1000).unref();
    if (upstreamSocket === undefined || frames === undefined) {
      writeProblem(socket, SESSION_ENDED);
      this.close();
      return;
    }
    upstreamSocket.unpipe(socket);
    socket.unpipe(upstreamSocket);
    socket.resume();
    upstreamSocket.off('data', frames.feed);
    const finish = () => {
      socket.end(closeFrame(1008, 'session ended'));
      this.close();
    };
    if (frames.atBoundary) {
      finish();
      return;
    }
    upstreamSocket.on('data', (chunk: Buffer) => {
      socket.write(chunk.subarray(0, frames.feed(chunk, true)));
      if (frames.atBoundary) finish();
    });
    upstreamSocket.resume();
  };
}

/**
 * WebSocket upgrades through `/api/<upstream>/…` for upstreams with `websocket: true`. The handshake is
 * checked like an API request — except for the `x-csrf` header, which a WebSocket cannot carry: `Origin` must
 * be the app's own, exactly, and `Sec-Fetch-Site` `same-origin` when sent ({@link checkHandshake}) — then the
 * session is looked up (activity, like any API request), the caps of {@link LongLivedConnections} applied and
 * the access token (refreshed when due) attached as `Authorization: Bearer`. After the upstream's `101`, the
 * two sockets are piped raw both ways: no WebSocket parsing, no buffering beyond the sockets' own, and
 * backpressure end to end. Refusals are problem+json answers written on the socket before any upgrade.
 */
export class WebSocketProxy {
  readonly #origin: string;
  readonly #parts: WebSocketParts;

  constructor(config: BffConfig, parts: WebSocketParts) {
    this.#origin = config.origin;
    this.#parts = parts;
  }

  /** Serves one upgrade to an `/api/…` target; never throws. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    try {
      this.#handle(req, socket, head)?.catch((error: unknown) => this.#fail(socket, error));
    } catch (error) {
      this.#fail(socket, error);
    }
  }

  #handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> | undefined {
    const url = req.url as string;
    const end = nameEnd(url);
    const route = this.#parts.upstreams.find(url, end);
    if (!route) return this.#refuse(socket, NO_SUCH_API);
    if (!route.upstream.websocket) return this.#refuse(socket, NOT_WEBSOCKET);
    if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket')
      return this.#refuse(socket, BAD_HANDSHAKE);
    const rest = url.slice(end);
    const queryAt = rest.indexOf('?');
    if (isUnsafePath(queryAt === -1 ? rest : rest.slice(0, queryAt)))
      return this.#refuse(socket, UNSAFE_PATH);
    const csrf = checkHandshake(req.headers, this.#origin, true);
    if (csrf) {
      this.#parts.reporter.csrfRefused(route, 'GET', csrf.reason);
      return this.#refuse(socket, refusal(403, 'csrf_failed', csrf.reason));
    }
    const cookie = this.#parts.cookies.session(req.headers.cookie);
    if (cookie.kind !== 'id') return this.#refuse(socket, SIGN_IN);
    const path =
      rest.length === 0 || rest.charCodeAt(0) === 63
        ? `${route.basePath}/${rest}`
        : `${route.basePath}${rest}`;
    const handshake = new Handshake(req, socket, head, route, path);
    const session = this.#parts.sessions.resolve(cookie.id);
    if (session instanceof Promise) return session.then((found) => this.#withSession(handshake, found));
    return this.#withSession(handshake, session);
  }

  async #withSession(handshake: Handshake, session: ActiveSession | Ended): Promise<void> {
    const { socket } = handshake;
    if (!('record' in session)) return this.#refuse(socket, SESSION_ENDED);
    const capped = this.#parts.longLived.refusal(session.id);
    if (capped) return this.#refuse(socket, capped);
    // Held from here, so the caps count a handshake still waiting for its token or its upstream.
    handshake.held = this.#parts.longLived.hold(session, handshake.endSession, {
      kind: 'ws',
      upstream: handshake.route.name,
    });
    socket.once('close', handshake.close);
    let bearer: string;
    try {
      bearer = await this.#parts.sessions.accessToken(session, handshake.route.token);
    } catch (error) {
      handshake.held.release();
      if (error instanceof SessionEndedError) return this.#refuse(socket, SESSION_ENDED);
      throw error;
    }
    const headers = this.#parts.headers.build(handshake, bearer);
    if (this.#parts.headers.dpop)
      this.#parts.headers.proof(headers, handshake.route, 'GET', handshake.path, bearer);
    if (socket.destroyed || handshake.ending) return;
    this.#connect(handshake, headers);
  }

  /** Sends the handshake upstream with `headers` (the token's included); on its `101`, pipes the two sockets together. */
  #connect(handshake: Handshake, headers: string[]): void {
    const { route, socket } = handshake;
    headers.push('connection', 'Upgrade', 'upgrade', 'websocket');
    const target = new URL(route.upstream.url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send({
      host: target.hostname,
      port: target.port,
      path: handshake.path,
      method: 'GET',
      headers,
      setHost: false,
      agent: false,
      timeout: route.upstream.timeoutMs,
    });
    handshake.upstream = upstream;
    upstream.on('timeout', () =>
      upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    upstream.on('error', (error: Error & { code?: string }) => {
      if (socket.destroyed || handshake.ending) return;
      handshake.held?.release();
      this.#parts.reporter.upgradeFailed(route, error);
      const status = error.code === 'ETIMEDOUT' ? 504 : error.code === 'ECONNREFUSED' ? 503 : 502;
      this.#refuse(
        socket,
        refusal(status, 'upstream_unavailable', `The ${route.name} service is not available.`),
      );
    });
    upstream.on('response', (answer) => {
      answer.resume();
      if (handshake.ending) return;
      handshake.held?.release();
      this.#parts.reporter.upgradeFailed(route, new Error(`the upstream answered ${answer.statusCode}`));
      this.#refuse(
        socket,
        refusal(502, 'upstream_unavailable', `The ${route.name} service refused the WebSocket connection.`),
      );
    });
    upstream.on('upgrade', (answer, upstreamSocket, upstreamHead) => {
      handshake.upstreamSocket = upstreamSocket;
      upstreamSocket.on('error', handshake.close);
      upstreamSocket.once('close', handshake.close);
      if (socket.destroyed || handshake.ending) return handshake.close();
      socket.write(switchingProtocols(answer));
      handshake.frames = new FrameBoundary();
      if (upstreamHead.length > 0) {
        handshake.frames.feed(upstreamHead);
        socket.write(upstreamHead);
      }
      if (handshake.head.length > 0) upstreamSocket.write(handshake.head);
      for (const side of [socket, upstreamSocket] as Socket[]) {
        side.setNoDelay?.(true);
        side.setTimeout?.(0);
      }
      upstreamSocket.on('data', handshake.frames.feed);
      socket.pipe(upstreamSocket);
      upstreamSocket.pipe(socket);
      this.#parts.reporter.upgraded(route);
    });
    upstream.end();
  }

  #refuse(socket: Duplex, refused: Refusal): undefined {
    this.#parts.reporter.refused(refused.status, refused.code);
    writeProblem(socket, refused);
    return undefined;
  }

  #fail(socket: Duplex, error: unknown): void {
    this.#parts.reporter.crashed(error);
    if (error instanceof BffError) writeProblem(socket, refusal(error.status, error.problem, error.detail));
    else writeProblem(socket, refusal(500, 'internal', 'Something went wrong.'));
  }
}

/** The `101` head passed back to the client: the upstream's headers but the dropped ones. */
function switchingProtocols(answer: IncomingMessage): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  const raw = answer.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (DROPPED_UPGRADE_HEADERS.has((raw[i] as string).toLowerCase())) continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  return `${head}\r\n`;
}

/** A problem+json answer written on the raw socket of an upgrade that never happened, then the socket ends. */
function writeProblem(socket: Duplex, refused: Refusal): void {
  if (socket.destroyed || !socket.writable) return;
  const body = JSON.stringify(problem(refused.status, refused.code, refused.detail));
  let head = `HTTP/1.1 ${refused.status} ${STATUS_CODES[refused.status] ?? ''}\r\n`;
  for (const [name, value] of Object.entries(PROBLEM_HEADERS)) head += `${name}: ${value}\r\n`;
  head += `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  socket.end(head + body);
}
