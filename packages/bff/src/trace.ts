import { randomFillSync } from 'node:crypto';
import { formatTraceparent, parseTraceparent } from '@gatehouse/policy';

const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

/** Random lower-case hex from the CSPRNG, drawn from a pool refilled 4 KB at a time (the hot path). */
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** The W3C trace context the BFF forwards: the caller's trace continued with the BFF's own span. */
export interface TraceContext {
  readonly traceId: string;
  /** The `traceparent` to send upstream. */
  readonly traceparent: string;
}

/**
 * Continues the caller's W3C `traceparent` (as `parseTraceparent` of `@gatehouse/policy` reads it) with a
 * new span for the BFF, sent as version 00 with the caller's flags, or starts a trace when there is none or it
 * is not valid, so one user action is one trace from the shell through the BFF to the APIs.
 *
 * @example
 * continueTrace('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01').traceId // '4bf92f…'
 */
export function continueTrace(incoming: string | undefined): TraceContext {
  const parent = parseTraceparent(incoming);
  if (parent) {
    const { traceId, flags } = parent;
    return { traceId, traceparent: formatTraceparent(traceId, randomHex(8), flags) };
  }
  const traceId = randomHex(16);
  return { traceId, traceparent: formatTraceparent(traceId, randomHex(8)) };
}
