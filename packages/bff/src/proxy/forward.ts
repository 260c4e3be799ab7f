import type { IncomingMessage, ServerResponse } from 'node:http';
import { meetsRequirement, readStepUpChallenge, type StepUpRequirement } from '@gatehouse/policy';
import type { Dispatcher } from 'undici';
import { sendProblem } from '../problem.js';
import { authLevelOf } from '../session/level.js';
import type { SessionRecord } from '../session/types.js';
import { answerHeaders, type UpstreamTarget } from './headers.js';
import type { UpstreamRoute } from './upstreams.js';

/** Who hears about the upstream's answers: metrics, audit log lines, counters. It never answers the client. */
export interface ProxySink {
  /** The upstream's answer headers arrived (`forward.startedAt` was when the request was sent). */
  answered(forward: Forward, status: number): void;
  /** The whole answer was passed on. */
  completed(forward: Forward): void;
  /** The upstream failed before any of its answer was sent (the client gets a problem). */
  failed(forward: Forward, error: Error): void;
}

/** The step-up challenge (RFC 9470) among an upstream answer's raw headers, if it sent one. */
function stepUpChallengeIn(rawHeaders: Buffer[]): StepUpRequirement | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as Buffer).toString('latin1').toLowerCase() !== 'www-authenticate') continue;
    const found = readStepUpChallenge((rawHeaders[i + 1] as Buffer).toString('latin1'));
    if (found) return found;
  }
  return undefined;
}

/** The status of an upstream failure: 504 on a timeout, 503 when nothing listens, else 502. */
function failureStatus(error: Error): number {
  const code = (error as Error & { code?: unknown }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 504;
  return code === 'ECONNREFUSED' ? 503 : 502;
}

/** An RFC 9449 `DPoP-Nonce` value: 1 to 512 NQCHARs. */
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]{1,512}$/;
const USE_DPOP_NONCE = /^\s*DPoP\b.*\berror="use_dpop_nonce"/i;

/** The nonce of a `WWW-Authenticate: DPoP error="use_dpop_nonce"` challenge with its `DPoP-Nonce`, if the answer is one. */
function nonceChallenge(rawHeaders: Buffer[]): string | undefined {
  let challenged = false;
  let nonce: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as Buffer).toString('latin1').toLowerCase();
    const value = (rawHeaders[i + 1] as Buffer).toString('latin1');
    if (name === 'www-authenticate' && USE_DPOP_NONCE.test(value)) challenged = true;
    else if (name === 'dpop-nonce' && NONCE.test(value)) nonce = value;
  }
  return challenged ? nonce : undefined;
}

/**
 * One proxied request, from its checks to the end of the answer: what it asks (the upstream, the method, the
 * rest of the path), and, as undici's dispatch handler, carrying the upstream answer onto the Node response
 * with no promise, no stream adapter and no AbortController per request. Backpressure: the upstream is
 * paused while the client's socket drains. A client that goes away aborts the upstream request.
 */
export class Forward implements Dispatcher.DispatchHandler, UpstreamTarget {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: UpstreamRoute;
  readonly method: string;
  /** What follows `/api/<name>`: `''`, or starting with `/` or `?`. */
  readonly rest: string;
  /** {@link rest} without its query: what the path checks and log lines see. */
  readonly restPath: string;
  readonly hasBody: boolean;
  /**
   * An event stream of an `sse` upstream: no timeout between chunks, headers sent at once, and
   * `X-Accel-Buffering: no` so no proxy in front holds events back.
   */
  readonly stream: boolean;
  /** When the request was sent upstream (`performance.now()`), for the latency metric. */
  startedAt = 0;
  /** The W3C trace id this request travels under (for log lines). */
  traceId: string | undefined;
  /** The session the request is made for, when it has one: a step-up challenge is judged against it. */
  record: SessionRecord | undefined;
  /** The upstream's answer was replaced by the BFF's own (a step-up problem): its body is dropped. */
  #replaced = false;
  /**
   * Set for a DPoP request whose body can be sent again (none): on a `use_dpop_nonce` challenge, called once
   * with the upstream's nonce to send the request again with a proof naming it (RFC 9449 §9).
   */
  retry: ((nonce: string) => void) | undefined;
  readonly #sink: ProxySink;
  /** The nonce of a challenge being retried: its 401 answer is read to the end and dropped. */
  #nonce: string | undefined;
  #abort: ((reason?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #clientGone = false;
  /** The stream was ended by the BFF (its session ended): the upstream's answer is dropped from then on. */
  #ended = false;

  // Positional, and called once per request: the state is built here, then only the object travels.
  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    route: UpstreamRoute,
    method: string,
    rest: string,
    restPath: string,
    hasBody: boolean,
    sink: ProxySink,
    stream = false,
  ) {
    this.req = req;
    this.res = res;
    this.route = route;
    this.method = method;
    this.rest = rest;
    this.restPath = restPath;
    this.hasBody = hasBody;
    this.#sink = sink;
    this.stream = stream;
  }

  /** Sends the request upstream with `headers` (see `UpstreamHeaders`). */
  dispatch(headers: string[]): void {
    const { route, rest } = this;
    if (this.startedAt === 0) this.res.on('close', this.onClientClose);
    this.startedAt = performance.now();
    route.pool.dispatch(
      {
        // `rest` is '' or starts with '/' or '?': the upstream path always starts with '/'.
        path:
          rest.length === 0 || rest.charCodeAt(0) === 63
            ? `${route.basePath}/${rest}`
            : `${route.basePath}${rest}`,
        method: this.method as Dispatcher.HttpMethod,
        headers,
        body: this.hasBody ? this.req : null,
        headersTimeout: route.upstream.timeoutMs,
        // An event stream may be quiet for long: it lasts until the session or either side ends it.
        bodyTimeout: this.stream ? 0 : route.upstream.timeoutMs,
      },
      this,
    );
  }

  /**
   * Ends an event stream because its session ended: the upstream request is aborted and the client's answer
   * ends cleanly (the last chunk of its chunked body; an event cut short is one the browser drops), or, when
   * no header was sent yet, is a 401 `session_expired` problem. The browser's `EventSource` then reconnects
   * and hears the 401.
   */
  readonly endStream = (): void => {
    if (this.#ended || this.#clientGone || this.res.destroyed) return;
    this.#ended = true;
    this.#abort?.(new Error('the session ended'));
    if (this.res.headersSent) this.res.end();
    else sendProblem(this.res, 401, 'session_expired', 'Your session has ended. Sign in again.');
  };

  /** `close` listener of the client response. */
  readonly onClientClose = (): void => {
    if (this.res.writableFinished) return;
    this.#clientGone = true;
    this.#abort?.(new Error('the client went away'));
  };

  // undici 7 drives dispatch handlers through these methods natively (the newer `onResponse*` methods are
  // adapted onto them, parsing headers into an object first); using them saves that work per request.
  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    if (this.#clientGone || this.#ended) abort(new Error('the client went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    if (this.#ended) return false;
    if (statusCode === 401 && this.retry !== undefined) {
      this.#nonce = nonceChallenge(rawHeaders);
      if (this.#nonce !== undefined) return true;
    }
    this.#sink.answered(this, statusCode);
    this.#resume = resume;
    const stepUp = statusCode === 401 ? stepUpChallengeIn(rawHeaders) : undefined;
    if (stepUp !== undefined) {
      this.#replaced = true;
      this.#answerStepUp(stepUp);
      return true;
    }
    const headers = answerHeaders(rawHeaders);
    if (this.stream) {
      headers.push('x-accel-buffering', 'no');
      this.res.writeHead(statusCode, headers);
      this.res.flushHeaders();
      return true;
    }
    this.res.writeHead(statusCode, headers);
    return true;
  }

  /**
   * An upstream asked for a stronger or more recent sign-in (RFC 9470): the browser gets the typed problem
   * `step_up_required` with what to sign in with. When the session already meets it (the user has just
   * stepped up and the API still refuses) the answer is a 403 instead, so the app never loops.
   */
  #answerStepUp(requirement: StepUpRequirement): void {
    if (this.record !== undefined && meetsRequirement(authLevelOf(this.record), requirement)) {
      sendProblem(
        this.res,
        403,
        'forbidden',
        'The sign-in meets what the service asked, and it still refuses.',
      );
      return;
    }
    sendProblem(
      this.res,
      401,
      'step_up_required',
      'This needs a stronger or more recent sign-in.',
      undefined,
      requirement,
    );
  }

  onData(chunk: Buffer): boolean {
    if (this.#ended) return false;
    if (this.#nonce !== undefined) return true;
    if (this.#replaced) return true;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.#resume as () => void);
    return false;
  }

  onComplete(): void {
    if (this.#ended) return;
    const nonce = this.#nonce;
    if (nonce !== undefined) {
      // The challenge was dropped: the request goes again with the nonce (unless the client went away).
      const retry = this.retry;
      this.retry = undefined;
      this.#nonce = undefined;
      if (retry !== undefined && !this.#clientGone) retry(nonce);
      return;
    }
    this.#sink.completed(this);
    if (!this.#replaced) this.res.end();
  }

  onError(error: Error): void {
    if (this.#clientGone || this.#ended || this.res.destroyed) return;
    if (this.res.headersSent) {
      this.res.destroy(error);
      return;
    }
    this.#sink.failed(this, error);
    const upstream = this.route.name;
    sendProblem(
      this.res,
      failureStatus(error),
      'upstream_unavailable',
      `The ${upstream} service is not available.`,
    );
  }
}
