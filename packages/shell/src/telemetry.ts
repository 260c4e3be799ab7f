/** One auth event for `POST /telemetry` (CONTRACT.md): no token, no personal data, route patterns only. */
export interface TelemetryEvent {
  /** `logged_in`, `logged_out`, `session_expired`, `session_expiring`, `session_extended`, `access_denied`, `api_error`, `remote_failed`, `event_refused`. */
  readonly type: string;
  /** ISO time; set by `track` when missing. */
  readonly time?: string;
  /** The route pattern (`/orders/:id`), never the path with its ids. */
  readonly route?: string;
  readonly remoteName?: string;
  readonly shellVersion?: string;
  readonly remoteVersion?: string;
  readonly authState?: string;
  readonly errorType?: string;
  readonly permission?: string;
  readonly userRoleGroup?: string;
}

/** Batches {@link TelemetryEvent}s to the BFF. */
export interface Telemetry {
  /**
   * Queues an event. Unknown fields are dropped; strings lose control characters and are cut to the BFF's
   * limits (route 512, permission 128, versions 32, others 64); an event with a credential-looking value is
   * dropped, alone, rather than have the BFF refuse its whole batch.
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

const FIELDS = [
  'type',
  'time',
  'route',
  'remoteName',
  'shellVersion',
  'remoteVersion',
  'authState',
  'errorType',
  'permission',
  'userRoleGroup',
] as const;
// The BFF's limits per field (its schema refuses a whole batch for one field too long).
const LIMITS: Partial<Record<(typeof FIELDS)[number], number>> = {
  route: 512,
  permission: 128,
  shellVersion: 32,
  remoteVersion: 32,
};
// What the BFF refuses a whole batch for, and what the event bus calls a credential (a JWT's start, `Bearer `):
// drop the one event instead.
const REFUSED = /eyJ[\w-]{4,}(?:\.|[\w-]{4})|bearer\s|(?:access|refresh|id)_?token|secret|password/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROL = /[\u0000-\u001f\u007f]/g;
const MAX_EVENTS = 20;
const MAX_BYTES = 16_000;

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
  const body = (events: TelemetryEvent[]) => JSON.stringify({ events });
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    while (queue.length) {
      const batch = queue.splice(0, MAX_EVENTS);
      while (batch.length > 1 && new Blob([body(batch)]).size > MAX_BYTES) queue.unshift(batch.pop()!);
      fetch(options.endpoint ?? '/telemetry', {
        method: 'POST',
        keepalive: true,
        headers: { 'content-type': 'application/json', 'x-csrf': '1' },
        body: body(batch),
      }).catch(() => {});
    }
  };
  return {
    track(event) {
      const clean: Record<string, string> = { time: new Date().toISOString() };
      for (const key of FIELDS) {
        const value = event[key];
        if (typeof value === 'string') clean[key] = value.replace(CONTROL, '').slice(0, LIMITS[key] ?? 64);
      }
      if (Object.values(clean).some((value) => REFUSED.test(value))) return;
      queue.push(clean as unknown as TelemetryEvent);
      if (queue.length >= MAX_EVENTS) flush();
      else timer ??= setTimeout(flush, options.flushMs ?? 5000);
    },
    flush,
  };
}
