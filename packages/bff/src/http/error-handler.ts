import { problemCodeOf } from '@gatehouse/policy';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BffError } from '../errors.js';
import { replyProblem } from '../problem.js';

/**
 * The error handler of the BFF's routes: a {@link BffError} answers its own status and problem (logged when
 * it is the BFF's fault, 5xx); a 4xx from Fastify or a plugin (a schema failure, a body too large, a rate
 * limit) answers that status with its code and a short detail; anything else is logged and answers 500
 * `internal` with no detail. Always problem+json, never a stack.
 */
export function bffErrorHandler(log: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof BffError) {
      if (error.status >= 500)
        log.error({ event: 'bff_error', code: error.code, err: error.cause ?? error }, error.message);
      if (error.headers) reply.headers(error.headers);
      return replyProblem(reply, error.status, error.problem, error.detail);
    }
    const status = (error as Partial<FastifyError> | null)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const detail = String((error as Partial<Error>).message ?? '').slice(0, 300);
      return replyProblem(reply, status, problemCodeOf(status), detail);
    }
    log.error({ event: 'bff_error', url: request.url.split('?')[0], err: error }, 'unexpected error');
    return replyProblem(reply, 500, 'internal', 'Something went wrong.');
  };
}

/** The not-found handler: every miss answers problem+json, files the static handlers do not have included. */
export function notFound(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return replyProblem(reply, 404, 'not_found', 'No such resource.');
}
