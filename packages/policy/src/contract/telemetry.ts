/**
 * `POST /telemetry`: the auth events the shell reports and the BFF logs. One definition of the fields, their
 * limits and the batch limits, so the shell trims exactly what the BFF would refuse and never loses a whole
 * batch to one long field.
 */

/** Every field of a telemetry event with its longest accepted length. Unknown fields are refused. */
export const telemetryFieldLimits = /* @__PURE__ */ Object.freeze({
  /** `logged_in`, `access_denied`… (see {@link telemetryEventTypes}); `[a-z][a-z0-9_:.-]*`. */
  type: 64,
  /** ISO 8601 UTC time (`2026-12-06T10:00:00.000Z`). */
  time: 40,
  /** The route pattern (`/orders/:id`), never the path with its ids. */
  route: 512,
  remoteName: 64,
  shellVersion: 32,
  remoteVersion: 32,
  /** One of {@link telemetryAuthStates}. */
  authState: 16,
  errorType: 64,
  /** A `<domain>:<action>` permission. */
  permission: 128,
  /** A coarse group of roles (`admin`, `customer+support`), never a user. */
  userRoleGroup: 64,
} as const);

/** A telemetry field name. */
export type TelemetryField = keyof typeof telemetryFieldLimits;

/** Every telemetry field name, in a stable order. */
export const telemetryFields: readonly TelemetryField[] = /* @__PURE__ */ Object.freeze(
  Object.keys(telemetryFieldLimits) as TelemetryField[],
);

/** The auth states telemetry names (the shell's auth store). */
export const telemetryAuthStates = /* @__PURE__ */ Object.freeze([
  'loading',
  'anonymous',
  'authenticated',
  'expired',
  'logged-out',
] as const);

/** The events the shell reports. */
export const telemetryEventTypes = /* @__PURE__ */ Object.freeze([
  'logged_in',
  'logged_out',
  'session_expired',
  'session_expiring',
  'session_extended',
  'access_denied',
  'api_error',
  'remote_failed',
  'event_refused',
  'upstream_refused',
] as const);

/** At most this many events and bytes in one `POST /telemetry`. */
export const telemetryBatchLimits = /* @__PURE__ */ Object.freeze({ events: 20, bytes: 16_384 });

/** One telemetry event: every field a string within {@link telemetryFieldLimits}, no control characters. */
export type TelemetryEvent = { readonly type: string } & {
  readonly [K in Exclude<TelemetryField, 'type'>]?: string;
};
