import type { ServerResponse } from 'node:http';
import type { Problem, ProblemCode } from '@gatehouse/policy';

export type { Problem };

const TITLES: Record<ProblemCode, string> = {
  unauthenticated: 'Sign-in required',
  session_expired: 'Session expired',
  forbidden: 'Forbidden',
  csrf_failed: 'Cross-site request refused',
  not_found: 'Not found',
  bad_request: 'Bad request',
  conflict: 'Conflict',
  upstream_unavailable: 'Service unavailable',
  internal: 'Internal error',
};

/**
 * Builds the problem document for `code`.
 *
 * @example
 * problem(401, 'session_expired', 'Your session has ended.')
 */
export function problem(status: number, code: ProblemCode, detail?: string): Problem {
  return {
    type: `urn:gatehouse:problem:${code}`,
    title: TITLES[code],
    status,
    code,
    ...(detail ? { detail } : {}),
  };
}

/** Headers every problem answer carries. */
export const PROBLEM_HEADERS = {
  'content-type': 'application/problem+json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** Writes a problem+json answer on a raw Node response (the proxy's fast path). */
export function sendProblem(
  res: ServerResponse,
  status: number,
  code: ProblemCode,
  detail?: string,
  headers?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem(status, code, detail));
  res.writeHead(status, { ...PROBLEM_HEADERS, ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
