import { type AuthMessage, readAuthMessage } from '@gatehouse/policy';

export type { AuthMessage };

/** A channel to the app's other tabs. */
export interface TabChannel {
  post(message: AuthMessage): void;
  close(): void;
}

/**
 * Cross-tab sync over `BroadcastChannel` (same origin only; nothing written to any storage). Without
 * BroadcastChannel it does nothing. Only well-formed {@link AuthMessage}s reach `onMessage`.
 *
 * @example
 * const tabs = connectTabs((message) => apply(message));
 * tabs.post({ type: 'logged-out', reason: 'user_action' });
 */
export function connectTabs(onMessage: (message: AuthMessage) => void, name = 'gatehouse:auth'): TabChannel {
  if (typeof BroadcastChannel !== 'function') return { post() {}, close() {} };
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event: MessageEvent<unknown>) => {
    const message = readAuthMessage(event.data);
    if (message) onMessage(message);
  };
  return { post: (message) => channel.postMessage(message), close: () => channel.close() };
}

/**
 * The BFF's push channel: an `EventSource` on `url` (same origin, the session cookie goes by itself) whose
 * `auth` events carry {@link AuthMessage}s (anything else is ignored). EventSource reconnects by itself after a network error;
 * `onClosed` runs when it gives up (the BFF answered 401 or anything but an event stream). Returns the
 * function that closes it.
 *
 * @example
 * const close = connectPush('/auth/events', apply, () => checkSession());
 */
export function connectPush(
  url: string,
  onMessage: (message: AuthMessage) => void,
  onClosed: () => void,
): () => void {
  const source = new EventSource(url);
  source.addEventListener('auth', (event) => {
    let message: AuthMessage | undefined;
    try {
      message = readAuthMessage(JSON.parse((event as MessageEvent<string>).data));
    } catch {
      // Not JSON: ignored.
    }
    if (message) onMessage(message);
  });
  source.onerror = () => {
    // 2: EventSource.CLOSED (the number is what the bundle needs; the name costs 9 B gzip).
    if (source.readyState === 2) onClosed();
  };
  return () => source.close();
}
