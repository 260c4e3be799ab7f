import type { Logger } from 'pino';
import * as T from 'typebox';
import Value from 'typebox/value';

const Text = (max: number) => T.String({ maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*$' });

/** One auth event from the browser (CONTRACT.md "Browser side"; seed §27). */
export const TelemetryEventSchema = T.Object(
  {
    type: T.String({ pattern: '^[a-z][a-z0-9_:.-]{0,63}$' }),
    time: T.Optional(T.String({ maxLength: 40, pattern: '^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z$' })),
    route: T.Optional(Text(512)),
    remoteName: T.Optional(Text(64)),
    shellVersion: T.Optional(Text(32)),
    remoteVersion: T.Optional(Text(32)),
    authState: T.Optional(
      T.Union([
        T.Literal('loading'),
        T.Literal('anonymous'),
        T.Literal('authenticated'),
        T.Literal('expired'),
        T.Literal('logged-out'),
      ]),
    ),
    errorType: T.Optional(Text(64)),
    permission: T.Optional(T.String({ maxLength: 128, pattern: '^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$' })),
    userRoleGroup: T.Optional(Text(64)),
  },
  { additionalProperties: false },
);

/** The body of `POST /telemetry`: at most 20 events. */
export const TelemetryBatchSchema = T.Object(
  { events: T.Array(TelemetryEventSchema, { minItems: 1, maxItems: 20 }) },
  { additionalProperties: false },
);

/** A validated telemetry event. */
export type TelemetryEvent = T.Static<typeof TelemetryEventSchema>;

// A JWT, a bearer credential or a token parameter: refused. Words such as "password" in a route are fine.
const TOKEN_LIKE =
  /eyJ[A-Za-z0-9_-]{4,}\.|\bbearer\s+\S|(?:access|refresh|id|logout)_token\s*[=:]|client_secret\s*[=:]/i;

/**
 * Validates a telemetry batch: the schema (unknown fields refused), and no value that looks like a token
 * or a secret. Answers the events, or the reason the batch is refused.
 *
 * @example
 * const result = readTelemetry(request.body);
 */
export function readTelemetry(body: unknown): { events: TelemetryEvent[] } | { problem: string } {
  if (!Value.Check(TelemetryBatchSchema, body)) {
    const first = [...Value.Errors(TelemetryBatchSchema, body)].find((error) => error.keyword !== 'boolean');
    return {
      problem: first ? `${first.instancePath || 'body'}: ${first.message}` : 'invalid telemetry batch',
    };
  }
  for (const event of body.events) {
    for (const value of Object.values(event)) {
      if (typeof value === 'string' && TOKEN_LIKE.test(value))
        return { problem: 'telemetry must not carry tokens or secrets' };
    }
  }
  return { events: body.events };
}

/**
 * Logs telemetry events as structured JSON (`event: "telemetry"`), with the route's query dropped (it may
 * hold personal data) and no user identity attached.
 */
export function logTelemetry(log: Logger, events: readonly TelemetryEvent[]): void {
  for (const event of events) {
    const { type, route, ...rest } = event;
    log.info(
      { event: 'telemetry', type, ...(route ? { route: route.split(/[?#]/, 1)[0] } : {}), ...rest },
      'auth telemetry',
    );
  }
}
