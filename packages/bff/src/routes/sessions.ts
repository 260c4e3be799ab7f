import { allows, endAnySessionsPermission, sessionHandlePattern, sessionsPath } from '@gatehouse/policy';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import { requireCsrf } from '../http/guards.js';
import { replyProblem } from '../problem.js';
import type { ActiveSession } from '../sessions.js';
import type { BffRouteOptions } from './route-options.js';

const HandleParams = T.Object({ handle: T.String({ pattern: sessionHandlePattern }) });
const UserParams = T.Object({ sub: T.String({ minLength: 1, maxLength: 255 }) });

/**
 * The user's sessions, which they (and an operator) can end: `GET /auth/sessions` lists them (device, sign-in
 * and last-seen times, which one is this browser's; each named by a handle that is no credential),
 * `DELETE /auth/sessions/{handle}` ends one, `DELETE /auth/sessions/others` every one but this browser's, and
 * `DELETE /auth/admin/users/{sub}/sessions` every session of another user, for a caller with
 * `sessions:end_any`. Every end reaches that session's open tabs through the push channel, on every
 * instance. The `DELETE`s need the `x-csrf` header and Fetch Metadata or `Origin` (403 otherwise).
 */
export const sessionListRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, cookies, log, sessions } = runtime;
  const csrf = requireCsrf(config.origin, log);

  /** The live session of the request, or a 401 already answered. */
  const sessionOf = async (
    request: FastifyRequest,
    reply: FastifyReply,
    lookup: 'peek' | 'active',
  ): Promise<ActiveSession | undefined> => {
    const found = await (lookup === 'peek' ? request.session.peek() : request.session.active());
    if ('record' in found) return found;
    const code = found.ended === undefined ? 'unauthenticated' : 'session_expired';
    replyProblem(reply, 401, code, 'Sign in first.');
    return undefined;
  };

  scope.get(sessionsPath, async (request, reply) => {
    const current = await sessionOf(request, reply, 'peek');
    if (!current) return reply;
    const listed = await sessions.listOf(current.record, current.id);
    return reply.send({ sessions: listed.map((session) => session.summary) });
  });

  scope.delete(`${sessionsPath}/others`, { onRequest: csrf }, async (request, reply) => {
    const current = await sessionOf(request, reply, 'active');
    if (!current) return reply;
    const others = (await sessions.listOf(current.record, current.id)).filter(({ id }) => id !== current.id);
    // The current session stays: a token of its grant (same issuer session) is ended here, not revoked.
    for (const { id } of others) await sessions.endById(id, 'logout', current.record);
    log.info(
      { event: 'sessions_ended', by: 'user', sub: current.record.sub, count: others.length },
      'signed out elsewhere',
    );
    return reply.send({ ended: others.length });
  });

  scope.delete<{ Params: T.Static<typeof HandleParams> }>(
    `${sessionsPath}/:handle`,
    { onRequest: csrf, schema: { params: HandleParams } },
    async (request, reply) => {
      const current = await sessionOf(request, reply, 'active');
      if (!current) return reply;
      const listed = await sessions.listOf(current.record, current.id);
      const target = listed.find(({ summary }) => summary.handle === request.params.handle);
      if (!target) return replyProblem(reply, 404, 'not_found', 'No such session of yours.');
      await sessions.endById(target.id, 'logout', target.id === current.id ? undefined : current.record);
      log.info({ event: 'sessions_ended', by: 'user', sub: current.record.sub, count: 1 }, 'session ended');
      if (target.id === current.id) reply.header('set-cookie', cookies.clearSession());
      return reply.code(204).send();
    },
  );

  scope.delete<{ Params: T.Static<typeof UserParams> }>(
    '/auth/admin/users/:sub/sessions',
    { onRequest: csrf, schema: { params: UserParams } },
    async (request, reply) => {
      const current = await sessionOf(request, reply, 'active');
      if (!current) return reply;
      const { sub } = request.params;
      if (!allows(current.record.user, endAnySessionsPermission)) {
        log.warn(
          { event: 'access_denied', permission: endAnySessionsPermission, sub: current.record.sub },
          'refused',
        );
        return replyProblem(
          reply,
          403,
          'forbidden',
          `Ending another user's sessions needs ${endAnySessionsPermission}.`,
        );
      }
      // Each ended on its own (its refresh token revoked), then whatever the index still names.
      const target = { ...current.record, sub };
      const listed = await sessions.listOf(target, current.id);
      for (const { id } of listed) await sessions.endById(id, 'logout');
      const rest = await sessions.endBySub(current.record.iss, sub, 'logout');
      log.info(
        { event: 'sessions_ended', by: 'admin', actor: current.record.sub, sub, count: listed.length + rest },
        'sessions of a user ended',
      );
      return reply.send({ ended: listed.length + rest });
    },
  );
};
