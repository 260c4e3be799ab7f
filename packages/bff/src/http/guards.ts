import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { checkCsrf } from '../csrf.js';
import { replyProblem } from '../problem.js';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/**
 * `onRequest` hook of the routes that act with the session on a request of the BFF's own pages (logout,
 * extend, telemetry): the `x-csrf` header and Fetch Metadata or `Origin` (`checkCsrf`), or 403
 * `csrf_failed`, logged, before the body is read.
 */
export function requireCsrf(origin: string, log: Logger): Hook {
  return async (request, reply) => {
    const refused = checkCsrf(request.method, request.headers, origin);
    if (!refused) return undefined;
    log.warn(
      { event: 'csrf_refused', reason: refused.reason, path: request.url.split('?')[0] },
      'request refused',
    );
    return replyProblem(reply, 403, 'csrf_failed', refused.reason);
  };
}

/**
 * `onRequest` hook: the request's `Content-Type` must be JSON (`optional`: or absent), or 415
 * `unsupported_media_type` with `detail`, before the body is read.
 */
export function requireJson(options: { optional: boolean; detail: string }): Hook {
  return async (request, reply) => {
    const type = request.headers['content-type'];
    if (type === undefined ? options.optional : type.toLowerCase().startsWith('application/json'))
      return undefined;
    return replyProblem(reply, 415, 'unsupported_media_type', options.detail);
  };
}
