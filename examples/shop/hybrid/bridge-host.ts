import {
  type AuthMessage,
  type BridgeResponse,
  bridgeResponseHeaders,
  pendingActionPath,
  readAuthMessage,
  readBridgeMessage,
} from '@gatehouse/policy';

/**
 * The native host's side of the bridge, free of any platform: the GJS host (hybrid/gjs/host.js, bundled from
 * this file) and the Node tests run the same checks. The platform gives it HTTP to the BFF and tells it
 * which frame and origin a message came from; it keeps the session handle, which never leaves it.
 */

/** One HTTP exchange with the BFF, as the platform makes it (Soup in GJS, `fetch` in Node). */
export interface HostHttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}
export interface HostHttpResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}
export type HostHttp = (request: HostHttpRequest) => Promise<HostHttpResponse>;

/** A message as the platform received it: what the page sent, and where it came from. */
export interface HostEnvelope {
  readonly message: unknown;
  /** The sending frame's origin (`MessageEvent.origin`, `WKFrameInfo.securityOrigin`, Android's `sourceOrigin`). */
  readonly origin: string;
  /** Whether it came from the main frame (the top window, and the page itself sent it). */
  readonly mainFrame: boolean;
}

/** Options of {@link createBridgeHost}. */
export interface BridgeHostOptions {
  /** The app's own origin, where its pages load in the WebView (`http://127.0.0.1:<port>`). */
  readonly appOrigin: string;
  /** The BFF's origin. */
  readonly bffUrl: string;
  readonly http: HostHttp;
  /** The session handle the native side stores (`undefined`: signed out). */
  handle(): string | undefined;
  /**
   * The handle of the session that expired last, kept until the next sign-in or a logout (as a browser keeps
   * its dead cookie): sent only with `POST /auth/pending`, so that the remotes' unsent work waits for the
   * same user's next sign-in. Without it, that work is lost at an expiry.
   */
  expiredHandle?(): string | undefined;
  /**
   * The session ended: forget the handle. `ended` for a logout over the bridge or the BFF's word that it
   * ended on purpose (a push `logged-out`); `expired` for a timeout (a 401 `session_expired`, a push
   * `session-expired`), whose handle the host may keep for {@link expiredHandle}.
   */
  signedOut(how: 'ended' | 'expired'): void;
  /**
   * The user signed out over the bridge (`POST /auth/logout` answered 200): the app's session has ended; the
   * issuer's, in the system browser, has not. The host opens the BFF's sign-out there (`/auth/logout/end`).
   */
  loggedOut?(): void;
  /** A refused message, for the host's log. */
  refused?(reason: string, envelope: HostEnvelope): void;
  /** Milliseconds a page's wait for the next push message is held before it is answered `null` (25 000). */
  waitMs?: number;
}

/** The host's bridge. */
export interface BridgeHost {
  /** Answers one message of the page: a {@link BridgeResponse}, or for a wait, a push message or `null`. */
  receive(envelope: HostEnvelope): Promise<BridgeResponse | AuthMessage | null>;
  /** A push message from the BFF (its `/auth/events` stream, which the host holds): to the page. */
  push(message: unknown): void;
  /** Messages refused so far (frame, origin, path, header, size). */
  readonly refusals: readonly string[];
  /** Answers every waiting page `null` (the host is closing). */
  close(): void;
}

const STATUS = {
  malformed: 400,
  path_not_allowed: 403,
  header_not_allowed: 403,
  body_too_large: 413,
} as const;

function problemAnswer(status: number, code: string, detail: string): BridgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title: detail, status, code, detail }),
  };
}

/** Paths the app's origin never relays: what crosses the bridge (`/api/*`, `/auth/*`) and nothing else. */
const BRIDGE_ONLY = /^\/(api|auth)(\/|$)/i;

/**
 * Whether the app's local origin relays a request of the WebView to the BFF, with the handle attached: a `GET`
 * of a page, or of a file the BFF serves (the shell's bundle, and the remotes it serves behind the session,
 * whose code the WebView could not fetch without the session: the BFF still checks who may have it). Never
 * `/api/*` or `/auth/*` (those cross the bridge, with its checks, or not at all), never another method, and
 * only an origin-form path without `..`, `//`, backslashes or encoded slashes or dots, so the BFF reads the
 * path that was checked.
 *
 * @example
 * appOriginRelays('GET', '/remotes/admin/admin-1.js') // true
 * appOriginRelays('GET', '/auth/session')             // false: over the bridge only
 */
export function appOriginRelays(method: string, path: string): boolean {
  if (method !== 'GET' || path.length > 2048 || !/^\/[\x21-\x7e]*$/.test(path)) return false;
  const pathname = path.split('?')[0] as string;
  if (/\/\.{1,2}(\/|$)|\/\/|\\|%2f|%5c|%2e/i.test(pathname)) return false;
  return !BRIDGE_ONLY.test(pathname);
}

/** The browser's own report types, as the BFF's `POST /reports` takes them, and its body limit. */
const REPORT_TYPES = ['application/reports+json', 'application/csp-report'];
const REPORT_BYTES = 64 * 1024;

/**
 * Whether the app's local origin relays a security report the WebView sends on its own (a CSP or Trusted
 * Types violation, to the page's `Reporting-Endpoints`, `/reports`) to the BFF's `POST /reports`: only that
 * path, only the reports' content types, at most 64 KiB, as the BFF takes them. Reports name no session, so
 * the host sends them without the handle.
 *
 * @example
 * appOriginReport('POST', '/reports', 'application/reports+json', 812) // true
 */
export function appOriginReport(method: string, path: string, contentType: string, bytes: number): boolean {
  return (
    method === 'POST' &&
    path === '/reports' &&
    REPORT_TYPES.some((type) => contentType.toLowerCase().startsWith(type)) &&
    bytes <= REPORT_BYTES
  );
}

/**
 * The host's duties, in order: only the main frame of the app's own origin is heard; only `/api/*` and the
 * shell's few `/auth/*` actions, allow-listed headers and bodies within the limit pass (the contract's
 * `readBridgeMessage`); the host attaches the handle (as the `Cookie` header), `x-csrf` and the BFF's origin
 * itself, and hands back only allow-listed response headers (never `Set-Cookie`). A logout, or the BFF's
 * word that the session ended, makes it forget the handle (an expired one may be kept for `/auth/pending`).
 *
 * @example
 * const host = createBridgeHost({ appOrigin, bffUrl, http, handle: () => keyring.get(), signedOut: () => keyring.clear() });
 * reply(await host.receive({ message, origin, mainFrame }));
 */
// long-function: the host's checks read in the order they run, one message at a time.
export function createBridgeHost(options: BridgeHostOptions): BridgeHost {
  // The origin by hand: GJS has no `URL`.
  const bffOrigin = options.bffUrl.replace(/^(https?:\/\/[^/]+).*$/, '$1');
  const refusals: string[] = [];
  const queue: AuthMessage[] = [];
  const waiting = new Set<(message: AuthMessage | null) => void>();
  const refuse = (reason: string, envelope: HostEnvelope, answer: BridgeResponse) => {
    refusals.push(reason);
    options.refused?.(reason, envelope);
    return answer;
  };
  const nextEvent = () =>
    new Promise<AuthMessage | null>((resolve) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      const done = (message: AuthMessage | null) => {
        clearTimeout(timer);
        waiting.delete(done);
        resolve(message);
      };
      const timer = setTimeout(() => done(null), options.waitMs ?? 25_000);
      waiting.add(done);
    });
  return {
    refusals,
    async receive(envelope) {
      if (!envelope.mainFrame || envelope.origin !== options.appOrigin)
        return refuse(
          'frame',
          envelope,
          problemAnswer(403, 'forbidden', 'Only the app’s main frame may call.'),
        );
      const read = readBridgeMessage(envelope.message);
      if ('refused' in read)
        return refuse(
          read.refused,
          envelope,
          problemAnswer(STATUS[read.refused], 'bad_request', read.refused),
        );
      const { message } = read;
      if (message.kind === 'next-event') return nextEvent();
      const path = message.path.split('?')[0];
      // Signed out, the request goes without a session: the BFF answers as to anyone (an anonymous identity, 401).
      const handle =
        options.handle() ??
        (path === pendingActionPath && message.method === 'POST' ? options.expiredHandle?.() : undefined);
      const unsafe = message.method !== 'GET';
      const answer = await options.http({
        method: message.method,
        url: `${bffOrigin}${message.path}`,
        headers: {
          ...message.headers,
          ...(handle === undefined ? {} : { cookie: handle }),
          'x-csrf': '1',
          ...(unsafe ? { origin: bffOrigin } : {}),
        },
        body: message.body,
      });
      const headers: Record<string, string> = {};
      for (const name of bridgeResponseHeaders) {
        const value = answer.headers[name];
        if (value !== undefined) headers[name] = value;
      }
      if (path === '/auth/logout') options.signedOut('ended');
      if (path === '/auth/logout' && answer.status === 200) options.loggedOut?.();
      else if (answer.status === 401 && answer.body.includes('session_expired')) options.signedOut('expired');
      // After a logout the app goes home: the issuer's sign-out is for the system browser (`loggedOut`), not
      // the WebView.
      const body =
        path === '/auth/logout' && answer.status === 200 ? JSON.stringify({ redirectTo: '/' }) : answer.body;
      return { status: answer.status, headers, body };
    },
    push(raw) {
      const message = readAuthMessage(raw);
      if (!message) return;
      if (message.type === 'logged-out') options.signedOut('ended');
      if (message.type === 'session-expired') options.signedOut('expired');
      // Every wait hears it: a page that was replaced (a reload) still holds one, whose answer goes nowhere.
      if (waiting.size === 0) queue.push(message);
      for (const done of [...waiting]) done(message);
    },
    close() {
      for (const done of [...waiting]) done(null);
    },
  };
}
