import type { Shell } from '@gatehouse/shell';

/** The last `auth:session-expiring` the page heard: the expiry it warned about, or `null`. */
export interface ExpiryNotices {
  subscribe(listener: () => void): () => void;
  /** The `expiresAt` of the last warning, or `null` before any. */
  current(): string | null;
}

/**
 * Listens to `auth:session-expiring` from before the shell starts, and keeps the last one. A page opened
 * inside the warning window gets the event at once, before React has rendered the warning that would
 * listen to it; read through this, the warning still shows.
 *
 * @example
 * const expiry = watchExpiry(shell.events);
 * const warnedFor = useSyncExternalStore(expiry.subscribe, expiry.current);
 */
export function watchExpiry(events: Pick<Shell['events'], 'on'>): ExpiryNotices {
  let last: string | null = null;
  const listeners = new Set<() => void>();
  events.on('auth:session-expiring', ({ expiresAt }: { expiresAt: string }) => {
    last = expiresAt;
    for (const listener of [...listeners]) listener();
  });
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    current: () => last,
  };
}
