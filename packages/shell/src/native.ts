import {
  type AuthMessage,
  type BridgeMessage,
  type BridgeResponse,
  bridgeName,
  bridgeResponseHeaders,
  type IdentityContext,
  readAuthMessage,
  readBridgeMessage,
} from '@gatehouse/policy';
import type { ShellFetch } from './identity.js';
import { parseIdentity } from './identity.js';

export { type RelayedRemotes, relayRemotes } from './relay-remotes.js';

/**
 * `@gatehouse/shell/native`: the page's side of a hybrid app's bridge (docs/hybrid-apps.md). A shell that
 * does not import it pays nothing for it (a separate entry point, its own line in `npm run size`).
 *
 * The native host keeps the session handle; the page sends each API call as a {@link BridgeMessage} over the
 * platform's script-message channel and builds a `Response` from the host's {@link BridgeResponse}. No
 * credential ever reaches the page: not in a global, not in storage, not in `document.cookie`.
 */

/** How the page talks to its native host: one message out, one answer back. */
export interface NativeTransport {
  /** `webkit` (iOS, `WKScriptMessageHandlerWithReply`), `relay` (WebKitGTK) or `android` (WebMessageListener). */
  readonly kind: 'webkit' | 'relay' | 'android';
  send(message: BridgeMessage): Promise<unknown>;
}

/** What {@link startNativeBridge} answers. */
export interface NativeBridge {
  /** The API client's and the shell's `fetch`: pass it as `createShell({ fetch })`. */
  readonly fetch: ShellFetch;
  /** The identity the host's session has now (`GET /auth/session` over the bridge). */
  readonly identity: IdentityContext;
  /** Stops relaying the host's push messages. */
  stop(): void;
}

/** The attribute the WebKitGTK host's relay (an isolated world, top frame only) sets on `<html>`. */
export const RELAY_ATTRIBUTE = 'data-gatehouse-bridge';

interface WebKitHandler {
  postMessage(message: unknown): Promise<unknown>;
}
interface AndroidListener {
  postMessage(message: string): void;
  onmessage: ((event: { data: string }) => void) | null;
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

/** Android's listener answers asynchronously on `onmessage`: each message carries an id its answer names. */
function androidTransport(listener: AndroidListener): NativeTransport {
  const waiting = new Map<number, (answer: unknown) => void>();
  let next = 0;
  listener.onmessage = (event) => {
    try {
      const { id, answer } = JSON.parse(event.data) as { id: number; answer: unknown };
      waiting.get(id)?.(answer);
      waiting.delete(id);
    } catch {
      // Not an answer of ours.
    }
  };
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
export function bridgeFetch(transport: NativeTransport): ShellFetch {
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
 * Writes `json` as the page's inline identity. Under `require-trusted-types-for 'script'` (the shop's page)
 * setting a script's `text` throws, and inserting a script with text, or replacing its children, is reported
 * as a violation, in Chromium and WebKit alike; changing the data of the text node the page was served with
 * is neither. So the page's own element is rewritten in place; only a page without one (a shell shipped in
 * the app) gets a new element.
 */
function inlineIdentity(doc: Document, json: string): void {
  const inlined = doc.getElementById('gatehouse-identity');
  const text = inlined?.firstChild;
  if (inlined?.localName === 'script' && text?.nodeType === 3 && !text.nextSibling) {
    (text as Text).data = json;
    return;
  }
  inlined?.remove();
  const inline = doc.createElement('script');
  inline.type = 'application/json';
  inline.id = 'gatehouse-identity';
  inline.append(json);
  doc.head.append(inline);
}

/**
 * Starts the bridge when a native host is there: reads the identity over it and inlines it in the page
 * (`<script type="application/json" id="gatehouse-identity">`, which `createShell().start()` reads with no
 * request), then relays the host's push messages (logout, expiry, role change) to the shell, which hears
 * them as from another tab. Answers `undefined` in a plain browser. Call it before `createShell`, with
 * `push: false` (the host holds the push channel).
 *
 * @example
 * const bridge = await startNativeBridge();
 * const shell = createShell({ ...options, ...(bridge ? { fetch: bridge.fetch, push: false } : {}) });
 * await shell.start();
 */
export async function startNativeBridge(win: Window = window): Promise<NativeBridge | undefined> {
  const transport = detectNativeHost(win);
  if (!transport) return undefined;
  const send = bridgeFetch(transport);
  const answer = await send('/auth/session', { headers: { accept: 'application/json' } });
  const identity = parseIdentity(await answer.json());
  if (!identity) throw new TypeError('bridge: the native host answered no identity');
  inlineIdentity(win.document, JSON.stringify(identity));
  let running = true;
  const tabs = new BroadcastChannel('gatehouse:auth');
  // The host answers each wait with the next message, or `null` after a quiet while (ask again); anything
  // else means it relays no more.
  const relay = async () => {
    while (running) {
      const raw = await transport.send({ kind: 'next-event' });
      if (raw === null) continue;
      const message: AuthMessage | undefined = readAuthMessage(raw);
      if (!message) return;
      if (running) tabs.postMessage(message);
    }
  };
  relay().catch(() => {});
  return {
    fetch: send,
    identity,
    stop() {
      running = false;
      tabs.close();
    },
  };
}
