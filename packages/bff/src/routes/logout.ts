import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import { BffError } from '../errors.js';
import { requireCsrf, requireJson } from '../http/guards.js';
import { pageSecurityOf, replyErrorPage } from '../pages.js';
import { replyProblem } from '../problem.js';
import type { BffRouteOptions } from './route-options.js';

const CLEAR_SITE_DATA = '"cache", "cookies", "storage"';

/** `POST /auth/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0): a form with the logout token. */
const BackchannelBody = T.Object({ logout_token: T.String({ minLength: 1 }) });

/** `GET /auth/frontchannel-logout` (Front-Channel Logout 1.0): which issuer, which of its sessions. */
const FrontchannelQuery = T.Object({ iss: T.Optional(T.String()), sid: T.Optional(T.String()) });

/**
 * Logout, every way it comes: `POST /auth/logout` (the user, RP-initiated), `POST /auth/backchannel-logout`
 * (the issuer, server to server) and `GET /auth/frontchannel-logout` (the issuer, in an iframe).
 */
export const logoutRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, options) => {
  await scope.register(userLogout, options);
  await scope.register(backchannelLogout, options);
  await scope.register(frontchannelLogout, options);
};

/**
 * `POST /auth/logout` with `x-csrf: 1`: ends the session, revokes its refresh token, clears the cookies and
 * the site's data, and answers the issuer's end-session URL. Any other method: 405, the session intact.
 */
const userLogout: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, cookies, oidc, sessions } = runtime;
  scope.post(
    '/auth/logout',
    {
      onRequest: [
        requireCsrf(config.origin, runtime.log),
        requireJson({ optional: true, detail: 'Send no body, or JSON.' }),
      ],
    },
    async (request, reply) => {
      const id = request.session.id;
      if (id !== undefined) await sessions.endById(id, 'logout');
      const redirectTo = (await oidc.endSessionUrl()) ?? config.postLogoutRedirectPath;
      return reply
        .header('set-cookie', [cookies.clearSession(), cookies.clearLoginBinding()])
        .header('clear-site-data', CLEAR_SITE_DATA)
        .send({ redirectTo });
    },
  );
  scope.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/auth/logout',
    handler: (_request, reply) =>
      replyProblem(
        reply.header('allow', 'POST'),
        405,
        'method_not_allowed',
        'Sign out with POST and the x-csrf header.',
      ),
  });
};

/** An OAuth error answer (the back-channel logout endpoint speaks OAuth to the issuer, not problem+json). */
function invalidRequest(reply: FastifyReply, description: string): FastifyReply {
  return reply.code(400).send({ error: 'invalid_request', error_description: description });
}

/**
 * `POST /auth/backchannel-logout`: a verified logout token, not seen before, ends every session of its `sid`
 * (or of `iss` + `sub`). 200, or 400 `invalid_request` with the sessions intact; only form bodies are read.
 */
const backchannelLogout: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { log, oidc, sessions, store } = runtime;
  scope.removeAllContentTypeParsers();
  await scope.register(formbody, { bodyLimit: 64 * 1024 });
  scope.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-cache, no-store');
  });
  // A body that is missing, not a form, too large or without a logout token: OAuth's answer, not a problem.
  scope.setErrorHandler((error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof BffError || (error.statusCode ?? 500) >= 500) throw error;
    return invalidRequest(reply, 'logout_token is required');
  });
  scope.post<{ Body: T.Static<typeof BackchannelBody> }>(
    '/auth/backchannel-logout',
    { schema: { body: BackchannelBody } },
    async (request, reply) => {
      let subject: Awaited<ReturnType<typeof oidc.verifyLogoutToken>>;
      try {
        subject = await oidc.verifyLogoutToken(request.body.logout_token);
      } catch (error) {
        if (error instanceof BffError && error.code === 'GH_BFF_ISSUER_UNAVAILABLE') throw error;
        const reason = error instanceof Error ? error.message : String(error);
        log.warn({ event: 'backchannel_logout_refused', reason }, 'logout token refused');
        return invalidRequest(reply, 'the logout token is not valid');
      }
      if (subject.jti && !(await store.markOnce(`logout-jti:${subject.iss}:${subject.jti}`, 10 * 60_000))) {
        log.warn({ event: 'backchannel_logout_refused', reason: 'replayed' }, 'logout token replayed');
        return invalidRequest(reply, 'the logout token was already used');
      }
      // A valid logout token names a `sid`, a `sub` or both (`verifyLogoutToken` refuses neither).
      const ended = subject.sid
        ? await sessions.endBySid(subject.iss, subject.sid, 'backchannel_logout')
        : subject.sub
          ? await sessions.endBySub(subject.iss, subject.sub, 'backchannel_logout')
          : 0;
      log.info({ event: 'backchannel_logout', sub: subject.sub, sessions: ended }, 'back-channel logout');
      return reply.code(200).send();
    },
  );
};

/**
 * `GET /auth/frontchannel-logout?iss=&sid=`: ends the sessions of `sid` when `iss` is ours, on a page only
 * the issuer's origin may frame. A browser that says what it loads must say an iframe, so an `<img>` or a
 * fetch from a page of the same site cannot end sessions; without Fetch Metadata (older browsers) it is
 * served.
 */
const frontchannelLogout: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, log, oidc, sessions } = runtime;
  const security = { ...pageSecurityOf(config), frameAncestors: new URL(config.issuer).origin };
  const refusedPage = {
    title: 'Logout request refused',
    message: 'The logout request does not name this issuer and a session.',
  };
  scope.get<{ Querystring: T.Static<typeof FrontchannelQuery> }>(
    '/auth/frontchannel-logout',
    {
      schema: { querystring: FrontchannelQuery },
      attachValidation: true,
      onRequest: async (request, reply) => {
        const dest = request.headers['sec-fetch-dest'];
        if (dest === undefined || dest === 'iframe') return undefined;
        const reason = 'Front-channel logout is loaded in an iframe only.';
        log.warn({ event: 'csrf_refused', reason, path: '/auth/frontchannel-logout' }, 'request refused');
        return replyProblem(reply, 403, 'csrf_failed', reason);
      },
    },
    async (request, reply) => {
      const { iss, sid } = request.validationError ? {} : request.query;
      const issuer = await oidc.issuer().catch(() => undefined);
      if (iss === undefined || sid === undefined || iss !== issuer) {
        return replyErrorPage(reply, 400, security, refusedPage);
      }
      const ended = await sessions.endBySid(iss, sid, 'frontchannel_logout');
      log.info({ event: 'frontchannel_logout', sessions: ended }, 'front-channel logout');
      return replyErrorPage(reply, 200, security, {
        title: 'Signed out',
        message: 'You have been signed out.',
      });
    },
  );
};
