import { anonymousIdentity } from '@gatehouse/policy';
import type { FastifyPluginAsync } from 'fastify';
import { requireCsrf } from '../http/guards.js';
import { replyProblem } from '../problem.js';
import type { BffRouteOptions } from './route-options.js';

/**
 * The session as the browser sees it: `GET /auth/session` (the identity context; reading it is not
 * activity), `POST /auth/session/extend` (the user chose to stay: activity now, other tabs told) and
 * `GET /auth/events` (the push channel, Server-Sent Events).
 */
export const sessionRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, cookies, push, sessions } = runtime;

  scope.get('/auth/session', async (request, reply) => {
    // Reading the session is not activity: a tab that asks must not keep an idle session alive.
    const found = await request.session.peek();
    if ('record' in found) return reply.send(sessions.identity(found.record));
    if (await request.session.clearsCookie(found)) reply.header('set-cookie', cookies.clearSession());
    return reply.send(anonymousIdentity);
  });

  scope.post(
    '/auth/session/extend',
    { onRequest: requireCsrf(config.origin, runtime.log) },
    async (request, reply) => {
      const id = request.session.id;
      if (id === undefined) return replyProblem(reply, 401, 'unauthenticated', 'Sign in first.');
      const extended = await sessions.extend(id);
      if (!('record' in extended)) {
        if (await request.session.clearsCookie(extended)) reply.header('set-cookie', cookies.clearSession());
        return replyProblem(reply, 401, 'session_expired', 'Your session has ended. Sign in again.');
      }
      return reply.send(sessions.identity(extended.record));
    },
  );

  scope.get('/auth/events', async (request, reply) => {
    const found = await request.session.active();
    if (!('record' in found)) {
      const code = found.ended === undefined ? 'unauthenticated' : 'session_expired';
      return replyProblem(reply, 401, code, 'No session to follow.');
    }
    if (push.full) return replyProblem(reply, 503, 'upstream_unavailable', 'Too many open event streams.');
    reply.hijack();
    const { iss, sub } = found.record;
    push.open(found.id, JSON.stringify([iss, sub]), reply.raw, sessions.expiresAt(found.record));
    return reply;
  });
};
