import { anonymousIdentity } from '@gatehouse/policy';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isNavigation } from '../csrf.js';
import { defaultPage, htmlHeaders, newNonce, type PageRenderer, pageSecurityOf } from '../pages.js';
import { replyProblem } from '../problem.js';
import { safeReturnTo } from '../return-to.js';
import { RouteTable } from '../route-table.js';
import type { BffRouteOptions } from './route-options.js';

/** Options of {@link pageRoutes}: the shell page's renderer, or none for the BFF's built-in page. */
export interface PageRouteOptions extends BffRouteOptions {
  readonly renderPage?: PageRenderer | undefined;
}

/**
 * HTML navigations to any other path: the route table decides. A `required` route without a live session
 * gets a 302 to `/auth/login?returnTo=<path and query>` before any script loads; otherwise the shell page
 * with a fresh CSP nonce and the identity context. Anything but a navigation gets 404 problem+json.
 */
export const pageRoutes: FastifyPluginAsync<PageRouteOptions> = async (scope, { runtime, renderPage }) => {
  const { config, cookies, log, manifest, sessions } = runtime;
  const routes = new RouteTable(config.routes);
  const security = pageSecurityOf(config);
  const render: PageRenderer =
    renderPage ?? (({ path, identity, nonce }) => defaultPage(nonce, path, identity));

  const servePage = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!isNavigation(request.headers)) return replyProblem(reply, 404, 'not_found', 'No such resource.');
    // Origin-form only (`refuseOtherTargetForms`): the path is the one the router served.
    const queryAt = request.url.indexOf('?');
    const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
    const found = await request.session.active();
    if (!('record' in found)) {
      if (await request.session.clearsCookie(found)) reply.header('set-cookie', cookies.clearSession());
      if (routes.auth(path) === 'required') {
        log.info({ event: 'protected_route_redirect', path }, 'navigation needs a session');
        const target = encodeURIComponent(safeReturnTo(request.url));
        return reply.header('cache-control', 'no-store').redirect(`/auth/login?returnTo=${target}`, 302);
      }
    }
    const identity = 'record' in found ? sessions.identity(found.record) : anonymousIdentity;
    const nonce = newNonce();
    const html = await render({
      path,
      identity,
      nonce,
      ...(manifest ? { manifest: manifest.current() } : {}),
    });
    return reply.code(200).headers(htmlHeaders(nonce, security)).send(html);
  };
  scope.get('/', servePage);
  scope.get('/*', servePage);
};
