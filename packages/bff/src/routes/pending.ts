import { pendingActionLimits, pendingActionNamePattern, pendingActionPath } from '@gatehouse/policy';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import { requireCsrf, requireJson } from '../http/guards.js';
import { PendingActions } from '../pending.js';
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
 * Both need a live session, the `x-csrf` header and Fetch Metadata or `Origin` (403 otherwise); the body is
 * JSON of at most 16 KB (413 beyond). The data waits in the session store, never in the browser.
 */
export const pendingRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, log } = runtime;
  const pending = new PendingActions(runtime.store, config.loginTimeout * 1000);
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
      const session = await sessionOf(request, reply);
      if (!session) return reply;
      const { remote, action, data } = request.body;
      await pending.leave(session.id, session.record, { remote, action, data });
      log.info({ event: 'pending_action', remote, action }, 'action waits for a sign-in');
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
