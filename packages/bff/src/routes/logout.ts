import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import * as T from 'typebox';
import { BffError } from '../errors.js';
import { requireCsrf, requireJson } from '../http/guards.js';
import { endSessionPage, htmlHeaders, newNonce, pageSecurityOf, replyErrorPage } from '../pages.js';
import { replyProblem } from '../problem.js';
import type { GatehouseRuntime } from '../runtime.js';
import { newOpaqueToken } from '../session/ids.js';
import type { SessionRecord } from '../session/types.js';
import type { BffRouteOptions } from './route-options.js';

const CLEAR_SITE_DATA = '"cache", "cookies", "storage"';
/** The sign-out page, served once per sign-out to the browser that signed out. */
const END_SESSION_PATH = '/auth/logout/end';
/** How long the sign-out page's handoff waits (the cookie naming it lives as long). */
const HANDOFF_MS = 60_000;

/** What the sign-out page needs of the ended session: who it was, and the ID token for the hint. */
interface EndSessionHint {
  readonly sub: string;
  readonly idToken?: string;
}

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
  await scope.register(endSession, options);
  await scope.register(backchannelLogout, options);
  await scope.register(frontchannelLogout, options);
};

/**
 * `POST /auth/logout` with `x-csrf: 1`: ends the session, revokes its refresh token, clears the cookies and
 * the site's data, and answers where the browser goes next: with `idTokenHint` and an issuer that has an
 * end-session endpoint, the BFF's sign-out page (`/auth/logout/end`, which posts the hint to the issuer);
 * otherwise the issuer's end-session URL with `client_id` only. Any other method: 405, the session intact.
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
      const record = id !== undefined ? await sessions.endById(id, 'logout') : undefined;
      const setCookies = [cookies.clearSession(), cookies.clearLoginBinding()];
      const handoff = record && config.idTokenHint ? await leaveHint(runtime, record) : undefined;
      if (handoff) setCookies.push(cookies.setLogoutHandoff(handoff));
      const redirectTo = handoff
        ? END_SESSION_PATH
        : ((await oidc.endSessionUrl()) ?? config.postLogoutRedirectPath);
      return reply
        .header('set-cookie', setCookies)
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

/**
 * Leaves the ended session's hint for the sign-out page, when the issuer has an end-session endpoint to post
 * it to; answers the handoff's key (for the logout cookie), or `undefined`.
 */
async function leaveHint(
  { oidc, store }: GatehouseRuntime,
  record: SessionRecord,
): Promise<string | undefined> {
  if (!(await oidc.endSessionUrl())) return undefined;
  const key = newOpaqueToken(24);
  const hint: EndSessionHint = {
    sub: record.sub,
    ...(record.tokens.idToken ? { idToken: record.tokens.idToken } : {}),
  };
  await store.putHandoff(`logout:${key}`, JSON.stringify(hint), HANDOFF_MS);
  return key;
}

/**
 * `GET /auth/logout/end`: the sign-out page of the browser that just signed out (its logout cookie names the
 * handoff, which is taken: the page is served once). It posts `id_token_hint`, `logout_hint`, `client_id` and
 * `post_logout_redirect_uri` to the issuer's end-session endpoint, so the issuer can end its own session
 * without asking. This is the one page where an ID token reaches the browser: the token of a session already
 * ended, in a page with no script but the BFF's own, and only for a top-level navigation (a `fetch` of it is
 * refused). Without a handoff (reloaded, expired, another browser) it sends the browser to the end-session
 * URL with `client_id`, or home.
 */
const endSession: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, cookies, log, oidc, store } = runtime;
  scope.get(END_SESSION_PATH, async (request, reply) => {
    const mode = request.headers['sec-fetch-mode'];
    if (mode !== undefined && mode !== 'navigate') {
      const reason = 'The sign-out page is a navigation only.';
      log.warn({ event: 'csrf_refused', reason, path: END_SESSION_PATH }, 'request refused');
      return replyProblem(reply, 403, 'csrf_failed', reason);
    }
    reply.header('set-cookie', cookies.clearLogoutHandoff());
    const key = cookies.logoutHandoff(request.headers.cookie);
    const stored = key === undefined ? undefined : await store.takeHandoff(`logout:${key}`);
    const hint = stored === undefined ? undefined : readHint(stored);
    const form = hint ? await oidc.endSessionForm(hint) : undefined;
    if (!form) return reply.redirect((await oidc.endSessionUrl()) ?? config.postLogoutRedirectPath, 302);
    const nonce = newNonce();
    const security = { ...pageSecurityOf(config), formAction: new URL(form.action).origin };
    return reply.code(200).headers(htmlHeaders(nonce, security)).send(endSessionPage(nonce, form));
  });
};

/** The hint a handoff holds, or `undefined` when it is not one (a store's value is checked before use). */
function readHint(stored: string): EndSessionHint | undefined {
  try {
    const value = JSON.parse(stored) as Partial<EndSessionHint>;
    if (typeof value.sub !== 'string') return undefined;
    return typeof value.idToken === 'string'
      ? { sub: value.sub, idToken: value.idToken }
      : { sub: value.sub };
  } catch {
    return undefined;
  }
}

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
      let ended = await sessions.endBySid(iss, sid, 'frontchannel_logout');
      // An issuer that puts no `sid` in its ID tokens (LemonLDAP::NG 2.16 names the user instead) cannot be
      // matched by `sid`: the frame then ends the session of the browser that loads it, when the cookie came
      // (the BFF and the issuer on one site) and that session is of this issuer and holds no other `sid`.
      // Never by a guessable id alone: this is a GET anyone can send.
      if (ended === 0) ended = await endFramingSession(request, runtime, iss, sid);
      log.info({ event: 'frontchannel_logout', sessions: ended }, 'front-channel logout');
      return replyErrorPage(reply, 200, security, {
        title: 'Signed out',
        message: 'You have been signed out.',
      });
    },
  );
};

/** Ends the session of the browser loading the front-channel frame, when it matches; answers 0 or 1. */
async function endFramingSession(
  request: FastifyRequest,
  { sessions }: GatehouseRuntime,
  iss: string,
  sid: string,
): Promise<number> {
  const found = await request.session.peek();
  if (!('record' in found) || found.record.iss !== iss) return 0;
  if (found.record.sid !== undefined && found.record.sid !== sid) return 0;
  await sessions.endById(found.id, 'frontchannel_logout');
  return 1;
}
