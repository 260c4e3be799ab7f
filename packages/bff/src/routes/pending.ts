import { pendingActionLimits, pendingActionNamePattern, pendingActionPath } from '@gatehouse/policy';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import { requireCsrf, requireJson } from '../http/guards.js';
import { replyProblem } from '../problem.js';
import type { BffRouteOptions } from './route-options.js';

const Name = T.String({ maxLength: pendingActionLimits.name, pattern: pendingActionNamePattern });
const PendingBody = T.Object(
  { remote: Name, action: Name, data: T.Optional(T.Unknown()) },
  { additionalProperties: false },
);
const RemoteParams = T.Object({ remote: Name });

/**
 * A remote's action waiting for a re-authentication (a step-up, an expiry): `POST /auth/pending` leaves it
 * for this session, `DELETE /auth/pending/{remote}` takes it back once (200 with it, 204 when there is none).
 * Both need a live session — or, to leave an action, one that expired less than `loginTimeout` ago (its tabs
 * keep the unsent work for the user's next sign-in) — the `x-csrf` header and Fetch Metadata or `Origin`
 * (403 otherwise); the body is JSON of at most 16 KB (413 beyond). The data waits in the session store,
 * never in the browser.
 */
export const pendingRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, log } = runtime;
  const { pending } = runtime.sessions;
  const csrf = requireCsrf(config.origin, log);

  /** The live session of the request, or a 401 already answered. */
  const sessionOf = async (request: FastifyRequest, reply: FastifyReply) => {
    const found = await request.session.active();
    if ('record' in found) return found;
    const code = found.ended === undefined ? 'unauthenticated' : 'session_expired';
    replyProblem(reply, 401, code, 'Sign in first.');
    return undefined;
  };

  scope.post<{ Body: T.Static<typeof PendingBody> }>(
    pendingActionPath,
    {
      onRequest: [
        csrf,
        requireJson({ optional: false, detail: 'Send the pending action as application/json.' }),
      ],
      bodyLimit: pendingActionLimits.bytes,
      schema: { body: PendingBody },
    },
    async (request, reply) => {
      const { remote, action, data } = request.body;
      const found = await request.session.active();
      const id = request.session.id;
      if ('record' in found) await pending.leave(found.id, found.record, { remote, action, data });
      // The session expired a moment ago (the tab learns it with this very answer, often): the work waits
      // for the same user's next sign-in all the same.
      else if (id === undefined || !(await pending.leaveAfterExpiry(id, { remote, action, data }))) {
        const code = found.ended === undefined ? 'unauthenticated' : 'session_expired';
        return replyProblem(reply, 401, code, 'Sign in first.');
      }
      log.info(
        { event: 'pending_action', remote, action, expired: !('record' in found) },
        'action waits for a sign-in',
      );
      return reply.code(204).send();
    },
  );

  scope.delete<{ Params: T.Static<typeof RemoteParams> }>(
    `${pendingActionPath}/:remote`,
    { onRequest: csrf, schema: { params: RemoteParams } },
    async (request, reply) => {
      const session = await sessionOf(request, reply);
      if (!session) return reply;
      const found = await pending.take(session.id, request.params.remote);
      if (!found) return reply.code(204).send();
      return reply.send(found);
    },
  );
};
