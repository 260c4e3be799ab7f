import {
  looksLikeCredential,
  type TelemetryEvent,
  telemetryBatchLimits,
  telemetryFieldLimits,
  telemetryFields,
} from '@gatehouse/policy';

export type { TelemetryEvent };

/** Batches {@link TelemetryEvent}s to the BFF. */
export interface Telemetry {
  /**
   * Queues an event. Unknown fields are dropped; strings lose control characters and are cut to the limits
   * the BFF applies (`telemetryFieldLimits` of `@gatehouse/policy`); an event with a credential-looking value
   * is dropped, alone, rather than have the BFF refuse its whole batch.
   */
  track(event: TelemetryEvent): void;
  /** Sends what is queued now (the shell calls it when the page is hidden). */
  flush(): void;
}

/** Options of {@link createTelemetry}. */
export interface TelemetryOptions {
  readonly endpoint?: string;
  /** How long an event may wait for others before it is sent, in ms (5000 by default). */
  readonly flushMs?: number;
}

/**
 * Telemetry: events wait up to `flushMs` and go in batches of at most 20 events and 16 KB as
 * `POST /telemetry` `{ events }` with `x-csrf: 1`, `keepalive` so a batch survives the page closing. Failures are
 * dropped (telemetry never retries into a loop or breaks the app).
 *
 * @example
 * const telemetry = createTelemetry();
 * telemetry.track({ type: 'access_denied', route: '/admin', permission: 'users:view', authState: 'authenticated' });
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const queue: TelemetryEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    while (queue.length) {
      const batch = queue.splice(0, telemetryBatchLimits.events);
      while (
        batch.length > 1 &&
        new Blob([JSON.stringify({ events: batch })]).size > telemetryBatchLimits.bytes
      )
        queue.unshift(batch.pop()!);
      fetch(options.endpoint ?? '/telemetry', {
        method: 'POST',
        keepalive: true,
        headers: { 'content-type': 'application/json', 'x-csrf': '1' },
        body: JSON.stringify({ events: batch }),
      }).catch(() => {});
    }
  };
  return {
    track(event) {
      const clean: Record<string, string> = { time: new Date().toISOString() };
      for (const key of telemetryFields) {
        const value = event[key];
        // Without control characters (NUL to US, and DEL; written as `\0` and `\x..`, 3 B less than `\u00..`), cut
        // to the BFF's limit.
        if (typeof value === 'string')
          // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
          clean[key] = value.replace(/[\0-\x1f\x7f]/g, '').slice(0, telemetryFieldLimits[key]);
      }
      if (Object.values(clean).some(looksLikeCredential)) return;
      queue.push(clean as unknown as TelemetryEvent);
      if (queue.length >= telemetryBatchLimits.events) flush();
      else timer ??= setTimeout(flush, options.flushMs ?? 5000);
    },
    flush,
  };
}
