import type { FastifyReply, FastifyRequest } from 'fastify';
import { replyProblem } from '../problem.js';

/**
 * True when a request-target is in origin-form (`/path?query`), the only form browsers send to an origin
 * server. The absolute-form (`GET http://evil.example/auth/session`, meant for forward proxies) and the
 * asterisk-form (`OPTIONS *`) are not.
 */
export function isOriginForm(url: string | undefined): url is string {
  return url !== undefined && url.charCodeAt(0) === 47; /* / */
}

/**
 * `onRequest` hook, the first of the BFF's: a request-target that is not in origin-form gets 400 before any
 * other check. Fastify routes an absolute-form target by the path inside it, so a check reading the raw
 * target would miss what the router serves (the `/auth/*` Fetch Metadata check, `no-store`, the route
 * table's redirect of protected pages).
 */
export async function refuseOtherTargetForms(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (isOriginForm(request.url)) return undefined;
  return replyProblem(reply, 400, 'bad_request', 'The request target must be a path (origin-form).');
}

/**
 * The path of an origin-form target as the router sees it: without the query, percent-decoded
 * (`/%61uth/session` is `/auth/session`). A malformed encoding is kept as it is.
 */
export function parsedPath(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
