import { type AuthMessage, type IdentityContext, readAuthMessage } from '@gatehouse/policy';
import { bridgeFetch, detectNativeHost } from '@gatehouse/remote/native';
import type { ShellFetch } from './identity.js';
import { parseIdentity } from './identity.js';

// The transport sits in @gatehouse/remote, below the shell, so that a remote's step-up sends over it too.
export {
  type BridgeFetch,
  bridgeFetch,
  detectNativeHost,
  type NativeTransport,
  RELAY_ATTRIBUTE,
} from '@gatehouse/remote/native';
export { type RelayedRemotes, relayRemotes } from './relay-remotes.js';

/**
 * `@gatehouse/shell/native`: the page's side of a hybrid app's bridge (docs/hybrid-apps.md). A shell that
 * does not import it pays nothing for it (a separate entry point, its own line in `npm run size`).
 *
 * The native host keeps the session handle; the page sends each API call as a bridge message over the
 * platform's script-message channel (`@gatehouse/remote/native`) and builds a `Response` from the host's
 * answer. No credential ever reaches the page: not in a global, not in storage, not in `document.cookie`.
 */

/** What {@link startNativeBridge} answers. */
export interface NativeBridge {
  /** The API client's and the shell's `fetch`: pass it as `createShell({ fetch })`. */
  readonly fetch: ShellFetch;
  /** The identity the host's session has now (`GET /auth/session` over the bridge). */
  readonly identity: IdentityContext;
  /** Stops relaying the host's push messages. */
  stop(): void;
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
