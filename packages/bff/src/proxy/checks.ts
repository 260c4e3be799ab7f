import type { IncomingMessage } from 'node:http';
import type { ProblemCode } from '@gatehouse/policy';
import { checkCsrf, checkHandshake } from '../csrf.js';
import type { UpstreamRoute } from './upstreams.js';

/** Why the proxy answers a request itself, without the upstream. */
export interface Refusal {
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The CSRF check's reason, for the `csrf_refused` log line. */
  readonly csrf?: string;
}

const SIMPLE_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'];
const UNSAFE_PATH =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  /[\\\u0000-\u001f\u007f#]|%(?:2f|5c|00|[01][0-9a-f]|7f)|\/\/|(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

const UNSAFE_PATH_REFUSAL: Refusal = Object.freeze({
  status: 400,
  code: 'bad_request',
  detail: 'The API path is not allowed.',
});
const SIMPLE_TYPE_REFUSAL: Refusal = Object.freeze({
  status: 415,
  code: 'unsupported_media_type',
  detail: 'Send a JSON (or other non-simple) content type.',
});

/** True when the path after the upstream's name is refused (dot segments, encoded slashes, `//`, controls, `#`). */
export function isUnsafePath(restPath: string): boolean {
  return UNSAFE_PATH.test(restPath);
}

/** True when the request carries a body (a state-changing method with a length or a chunked body). */
export function hasBody(req: IncomingMessage, method: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/**
 * The checks of an API request before anything else is read (README, "API proxy"), in order: the
 * upstream's methods (405), CSRF header and Fetch Metadata (403; for an event stream of an `sse` upstream,
 * which an `EventSource` opens without custom headers, exact `Origin` and Fetch Metadata instead), the path after the upstream's name (400:
 * dot segments, encoded slashes and backslashes, `//`, control characters, `#`), and no simple content
 * type on a body (415). `undefined` when the request may go on.
 */
export function refusalOf(
  req: IncomingMessage,
  route: UpstreamRoute,
  method: string,
  restPath: string,
  withBody: boolean,
  origin: string,
  stream = false,
): Refusal | undefined {
  if (!route.methods.has(method)) {
    return {
      status: 405,
      code: 'method_not_allowed',
      detail: `${method} is not allowed on this API.`,
      headers: { allow: [...route.methods].join(', ') },
    };
  }
  const csrf = stream ? checkHandshake(req.headers, origin, false) : checkCsrf(method, req.headers, origin);
  if (csrf) return { status: 403, code: 'csrf_failed', detail: csrf.reason, csrf: csrf.reason };
  if (UNSAFE_PATH.test(restPath)) return UNSAFE_PATH_REFUSAL;
  if (withBody) {
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type === '' || SIMPLE_CONTENT_TYPES.some((simple) => type.startsWith(simple))) {
      return SIMPLE_TYPE_REFUSAL;
    }
  }
  return undefined;
}
