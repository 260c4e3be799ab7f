import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
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
 * Continues the caller's W3C `traceparent` (version 00, non-zero ids) with a new span for the BFF, or
 * starts a trace when there is none or it is malformed, so one user action is one trace from the shell
 * through the BFF to the APIs.
 *
 * @example
 * continueTrace('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01').traceId // '4bf92f…'
 */
export function continueTrace(incoming: string | undefined): TraceContext {
  const match = incoming === undefined ? null : TRACEPARENT.exec(incoming);
  if (match && match[1] !== ZERO_TRACE && match[2] !== ZERO_SPAN) {
    const traceId = match[1] as string;
    return { traceId, traceparent: `00-${traceId}-${randomHex(8)}-${match[3]}` };
  }
  const traceId = randomHex(16);
  return { traceId, traceparent: `00-${traceId}-${randomHex(8)}-01` };
}
