import type { ServerResponse } from 'node:http';
import { type Problem, type ProblemCode, problem as problemDocument } from '@gatehouse/policy';
import type { FastifyReply } from 'fastify';

export type { Problem };

/**
 * Builds the problem document for `code` (its title from the one table of `@gatehouse/policy`).
 *
 * @example
 * problem(401, 'session_expired', 'Your session has ended.')
 */
export function problem(status: number, code: ProblemCode, detail?: string): Problem {
  return problemDocument(code, { status, detail });
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

/** Answers a problem+json error through Fastify (every route but the proxy's). */
export function replyProblem(
  reply: FastifyReply,
  status: number,
  code: ProblemCode,
  detail?: string,
): FastifyReply {
  return reply
    .code(status)
    .headers(PROBLEM_HEADERS)
    .send(JSON.stringify(problem(status, code, detail)));
}
