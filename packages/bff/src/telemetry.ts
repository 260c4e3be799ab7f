import {
  looksLikeCredential,
  permissionPattern,
  telemetryAuthStates,
  telemetryBatchLimits,
  telemetryFieldLimits,
} from '@gatehouse/policy';
import type { Logger } from 'pino';
import * as T from 'typebox';
import Value from 'typebox/value';

const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$';
const Text = (maxLength: number, pattern = NO_CONTROL) => T.Optional(T.String({ maxLength, pattern }));
const limits = telemetryFieldLimits;

/**
 * One auth event from the browser: the fields and limits of `@gatehouse/policy`'s telemetry contract (the
 * shell trims to the same limits), unknown fields refused.
 */
export const TelemetryEventSchema = T.Object(
  {
    type: T.String({ maxLength: limits.type, pattern: '^[a-z][a-z0-9_:.-]*$' }),
    time: Text(limits.time, '^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z$'),
    route: Text(limits.route),
    remoteName: Text(limits.remoteName),
    shellVersion: Text(limits.shellVersion),
    remoteVersion: Text(limits.remoteVersion),
    authState: T.Optional(T.Union(telemetryAuthStates.map((state) => T.Literal(state)))),
    errorType: Text(limits.errorType),
    permission: Text(limits.permission, permissionPattern),
    userRoleGroup: Text(limits.userRoleGroup),
  },
  { additionalProperties: false },
);

/** The body of `POST /telemetry`: at most `telemetryBatchLimits.events` events. */
export const TelemetryBatchSchema = T.Object(
  { events: T.Array(TelemetryEventSchema, { minItems: 1, maxItems: telemetryBatchLimits.events }) },
  { additionalProperties: false },
);

/** A validated telemetry event. */
export type TelemetryEvent = T.Static<typeof TelemetryEventSchema>;

/**
 * Validates a telemetry batch: the schema (unknown fields refused), and no value that looks like a
 * credential (`looksLikeCredential` of `@gatehouse/policy`, the shell's own test too). Answers the events,
 * or the reason the batch is refused.
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
  const problem = credentialProblem(body.events);
  return problem === undefined ? { events: body.events } : { problem };
}

/**
 * Why a batch of events that has the schema's shape is still refused: a value that looks like a credential
 * (`looksLikeCredential` of `@gatehouse/policy`); `undefined` when none does.
 */
export function credentialProblem(events: readonly TelemetryEvent[]): string | undefined {
  for (const event of events) {
    for (const value of Object.values(event)) {
      if (typeof value === 'string' && looksLikeCredential(value))
        return 'telemetry must not carry tokens or secrets';
    }
  }
  return undefined;
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
