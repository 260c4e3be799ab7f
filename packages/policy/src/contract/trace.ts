/**
 * W3C Trace Context (`traceparent`), read by one set of rules wherever Gatehouse meets it: the BFF continues
 * the browser's trace toward the APIs, and the API plugin puts the trace id on its log and audit lines.
 */

/** A `traceparent` header's fields. */
export interface TraceParent {
  /** Two hex digits; `00` is the version this code knows. */
  readonly version: string;
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lower-case hex digits, not all zero. */
  readonly parentId: string;
  /** Two hex digits (`01`: sampled). */
  readonly flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\r\n]*)?$/;
const ZEROS = /^0+$/;

/**
 * The fields of a `traceparent` header, or `undefined` when it is absent or not valid: longer than 512
 * characters, anything but lower-case hex, version `ff`, version `00` with extra fields, an all-zero trace or
 * parent id. A later version's extra fields are allowed, as the W3C recommendation asks.
 *
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId // '4bf92f…'
 * parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')          // undefined
 */
export function parseTraceparent(header: unknown): TraceParent | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const match = TRACEPARENT.exec(header);
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ZEROS.test(traceId) || ZEROS.test(parentId)) return undefined;
  return { version, traceId, parentId, flags };
}

/**
 * A version-00 `traceparent` for `traceId` with a new parent (span) id.
 *
 * @example
 * formatTraceparent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7') // '00-4bf9…-00f0…-01'
 */
export function formatTraceparent(traceId: string, parentId: string, flags = '01'): string {
  return `00-${traceId}-${parentId}-${flags}`;
}
