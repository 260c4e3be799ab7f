import { tenantIdMaxLength, tenantPath } from '@gatehouse/policy';
import type { FastifyPluginAsync } from 'fastify';
import * as T from 'typebox';
import { requireCsrf, requireJson } from '../http/guards.js';
import { replyProblem } from '../problem.js';
import type { BffRouteOptions } from './route-options.js';

const TenantBody = T.Object(
  { tenant: T.String({ minLength: 1, maxLength: tenantIdMaxLength }) },
  { additionalProperties: false },
);

/**
 * `POST /auth/tenant` with `{ "tenant": "<id>" }`: switches the session's active tenant to one of the user's
 * tenants, without a new sign-in, and answers the new identity context. Needs a live session (401), the
 * `x-csrf` header and Fetch Metadata or `Origin` (403 `csrf_failed`), a JSON body naming nothing else (400),
 * and a tenant the user is a member of (403 `forbidden`: the user's memberships come from the issuer, never
 * from the request). The switch is logged (`tenant_switch`) and reaches the session's open tabs on every
 * instance as `identity-changed`.
 */
export const tenantRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, log, sessions } = runtime;

  scope.post<{ Body: T.Static<typeof TenantBody> }>(
    tenantPath,
    {
      onRequest: [
        requireCsrf(config.origin, log),
        requireJson({ optional: false, detail: 'Send {"tenant": "<id>"} as application/json.' }),
      ],
      bodyLimit: 1024,
      schema: { body: TenantBody },
    },
    async (request, reply) => {
      const found = await request.session.active();
      if (!('record' in found)) {
        const code = found.ended === undefined ? 'unauthenticated' : 'session_expired';
        return replyProblem(reply, 401, code, 'Sign in first.');
      }
      const switched = await sessions.switchTenant(found, request.body.tenant);
      if (switched === 'not_member') {
        log.info(
          { event: 'tenant_switch_refused', sub: found.record.sub, tenant: request.body.tenant },
          'not a member of the tenant asked for',
        );
        return replyProblem(reply, 403, 'forbidden', 'You are not a member of that organisation.');
      }
      if (switched === undefined) return replyProblem(reply, 401, 'session_expired', 'Sign in again.');
      return reply.send(sessions.identity(switched.record));
    },
  );
};
