import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { checkResourceIsolation } from '../csrf.js';
import { replyProblem } from '../problem.js';
import { parsedPath } from './request-target.js';

const NO_STORE = 'no-store';

/**
 * Whether a request is for `/auth/*`: by the route Fastify matched (its parsed, decoded path) or, for
 * `/auth/…` paths no route of their own serves, by the decoded path. Never by the raw target alone.
 */
export function isAuthRequest(request: FastifyRequest): boolean {
  return (
    request.routeOptions.url?.startsWith('/auth/') === true || parsedPath(request.url).startsWith('/auth/')
  );
}

/**
 * `onRequest` hook: another site may navigate to `/auth/*` (a login link, the issuer's redirect to the
 * callback, its front-channel logout frame) but never read an answer or load one as a subresource
 * (Fetch Metadata resource isolation; `docs/security-model.md`).
 */
export function authResourceIsolation(log: Logger) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!isAuthRequest(request)) return undefined;
    const refused = checkResourceIsolation(request.method, request.headers);
    if (!refused) return undefined;
    log.warn(
      { event: 'csrf_refused', reason: refused.reason, path: request.url.split('?')[0] },
      'request refused',
    );
    return replyProblem(reply, 403, 'csrf_failed', refused.reason);
  };
}

/** `onSend` hook: every `/auth/*` answer carries `Cache-Control: no-store`. */
export async function authNoStore(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!isAuthRequest(request)) return;
  const current = reply.getHeader('cache-control');
  if (typeof current !== 'string' || !current.includes(NO_STORE)) reply.header('cache-control', NO_STORE);
}
