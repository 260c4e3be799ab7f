import {
  type BridgeMessage,
  type BridgeResponse,
  bridgeName,
  bridgeResponseHeaders,
  readBridgeMessage,
} from '@gatehouse/policy';

/**
 * `@gatehouse/remote/native`: how a page in a hybrid app's WebView reaches its native host (docs/hybrid-apps.md).
 * The shell's bridge (`@gatehouse/shell/native`) and a remote's step-up (`@gatehouse/remote/step-up`, whose
 * pending actions cross the bridge too) both send through it; it sits here, below the shell, so that both
 * can. A page that imports neither pays nothing for it.
 *
 * The native host keeps the session handle; the page sends each call as a {@link BridgeMessage} over the
 * platform's script-message channel and builds a `Response` from the host's {@link BridgeResponse}. No
 * credential ever reaches the page.
 */

/** How the page talks to its native host: one message out, one answer back. */
export interface NativeTransport {
  /** `webkit` (iOS, `WKScriptMessageHandlerWithReply`), `relay` (WebKitGTK) or `android` (WebMessageListener). */
  readonly kind: 'webkit' | 'relay' | 'android';
  send(message: BridgeMessage): Promise<unknown>;
}

/** A `fetch` of origin-form paths, as the API client and the shell take it. */
export type BridgeFetch = (input: string, init: RequestInit) => Promise<Response>;

/** The attribute the WebKitGTK host's relay (an isolated world, top frame only) sets on `<html>`. */
export const RELAY_ATTRIBUTE = 'data-gatehouse-bridge';

interface WebKitHandler {
  postMessage(message: unknown): Promise<unknown>;
}
interface AndroidListener {
  postMessage(message: string): void;
  addEventListener(type: 'message', listener: (event: { data: string }) => void): void;
}

/**
 * The native host this page runs in, or `undefined` in a plain browser: a WebKit script-message handler
 * with reply (`window.webkit.messageHandlers.gatehouse`), the WebKitGTK host's relay (`<html
 * data-gatehouse-bridge="relay">`, answered over a `MessagePort`), or Android's `WebMessageListener` object
 * (`window.gatehouse`, answers matched by id).
 *
 * @example
 * const transport = detectNativeHost();
 * if (!transport) return startWebShell();
 */
export function detectNativeHost(win: Window = window): NativeTransport | undefined {
  const handler = (win as { webkit?: { messageHandlers?: Record<string, WebKitHandler> } }).webkit
    ?.messageHandlers?.[bridgeName];
  if (handler && typeof handler.postMessage === 'function')
    return { kind: 'webkit', send: (message) => handler.postMessage(message) };
  if (win.document.documentElement.getAttribute(RELAY_ATTRIBUTE) === 'relay')
    return {
      kind: 'relay',
      send: (message) =>
        new Promise((resolve) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = (event) => {
            channel.port1.close();
            resolve(event.data);
          };
          win.postMessage({ [bridgeName]: message }, win.location.origin, [channel.port2]);
        }),
    };
  const listener = (win as unknown as Record<string, AndroidListener | undefined>)[bridgeName];
  if (listener && typeof listener.postMessage === 'function') return androidTransport(listener);
  return undefined;
}

/**
 * Android's listener answers asynchronously, on its `message` event: each message carries an id its answer
 * names. Several copies of this module may listen on one page (the shell's, a remote's step-up), so each
 * listens with `addEventListener` and counts from a random start: none takes another's answers.
 */
function androidTransport(listener: AndroidListener): NativeTransport {
  const waiting = new Map<number, (answer: unknown) => void>();
  let next = Math.floor(Math.random() * 2 ** 30);
  listener.addEventListener('message', (event) => {
    try {
      const { id, answer } = JSON.parse(event.data) as { id: number; answer: unknown };
      waiting.get(id)?.(answer);
      waiting.delete(id);
    } catch {
      // Not an answer of ours.
    }
  });
  return {
    kind: 'android',
    send: (message) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        listener.postMessage(JSON.stringify({ id, message }));
      }),
  };
}

/**
 * A `fetch` that sends over `transport`: the request is checked against the bridge contract first
 * (`readBridgeMessage`: the path allow-list, the header allow-list, the body limit), exactly as the host
 * checks it; a refused one, or a host that does not answer with a {@link BridgeResponse}, rejects with a
 * `TypeError` like a network failure. Only allow-listed response headers are kept.
 *
 * @example
 * const api = createApiClient({ fetch: bridgeFetch(detectNativeHost()!) });
 */
export function bridgeFetch(transport: NativeTransport): BridgeFetch {
  return async (input, init) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = typeof init.body === 'string' ? init.body : null;
    const checked = readBridgeMessage({
      kind: 'request',
      method: (init.method ?? 'GET').toUpperCase(),
      path: input,
      headers,
      body,
    });
    if ('refused' in checked) throw new TypeError(`bridge: ${checked.refused}`);
    const answer = Object(await transport.send(checked.message)) as Partial<BridgeResponse>;
    if (typeof answer.status !== 'number' || answer.status < 200 || answer.status > 599)
      throw new TypeError('bridge: no answer from the native host');
    const kept = new Headers();
    for (const name of bridgeResponseHeaders) {
      const value = answer.headers?.[name];
      if (typeof value === 'string') kept.set(name, value);
    }
    const empty = answer.status === 204 || answer.status === 304;
    return new Response(empty ? null : (answer.body ?? ''), { status: answer.status, headers: kept });
  };
}

/**
 * The `fetch` of calls to the BFF's own endpoints: over the native host's bridge in a hybrid app's WebView
 * (the WebView holds no session), the page's `fetch` anywhere else.
 *
 * @example
 * await bffFetch()('/auth/pending', { method: 'POST', headers: { 'x-csrf': '1' }, body });
 */
export function bffFetch(win: Window | undefined = globalThis.window): BridgeFetch {
  // No window (a worker, a test in Node): no WebView either.
  const transport = win && detectNativeHost(win);
  return transport ? bridgeFetch(transport) : (input, init) => fetch(input, init);
}
