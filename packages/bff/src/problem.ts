import type { ServerResponse } from 'node:http';
import {
  type Problem,
  type ProblemCode,
  problem as problemDocument,
  type StepUpRequirement,
} from '@gatehouse/policy';
import type { FastifyReply } from 'fastify';

export type { Problem };

/**
 * Builds the problem document for `code` (its title from the one table of `@gatehouse/policy`), with a
 * step-up's `acr_values` and `max_age` as members when given.
 *
 * @example
 * problem(401, 'session_expired', 'Your session has ended.')
 * problem(401, 'step_up_required', undefined, { acr_values: 'urn:gatehouse:loa:2' }) // with its `acr_values`
 */
export function problem(
  status: number,
  code: ProblemCode,
  detail?: string,
  members?: StepUpRequirement,
): Problem {
  const document = problemDocument(code, { status, detail });
  return members ? { ...document, ...members } : document;
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
  members?: StepUpRequirement,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem(status, code, detail, members));
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
