import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import {
  anonymousIdentity,
  checkAccess,
  type IdentityContext,
  problemCodeOf,
  telemetryBatchLimits,
} from '@gatehouse/policy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import type { Logger } from 'pino';
import { loadClientKey } from './client-key.js';
import type { BffConfig } from './config.js';
import { CookieJar } from './cookies.js';
import { checkCsrf, checkResourceIsolation, isNavigation } from './csrf.js';
import { BffError } from './errors.js';
import { MemorySessionEventBus, RedisSessionEventBus, type SessionEventBus } from './events.js';
import { createLogger } from './logger.js';
import { SignedManifest } from './manifest.js';
import { BffMetrics } from './metrics.js';
import { OidcClient, oauthErrorCode } from './oidc.js';
import { defaultPage, errorPage, htmlHeaders, newNonce, type PageSecurity } from './pages.js';
import { replyProblem } from './problem.js';
import { ApiProxy } from './proxy.js';
import { PushChannel } from './push.js';
import { logSecurityReports } from './reports.js';
import { safeReturnTo } from './return-to.js';
import { RouteTable } from './route-table.js';
import { jwksRoute } from './routes/jwks.js';
import { newOpaqueToken } from './session/ids.js';
import type { SessionRecord, SessionStore } from './session/types.js';
import { type ActiveSession, SessionManager, sessionRef } from './sessions.js';
import { createSessionStore } from './store.js';
import { logTelemetry, readTelemetry } from './telemetry.js';

/** Renders the shell page for an HTML navigation (the BFF adds the security headers). */
export type PageRenderer = (context: {
  readonly path: string;
  readonly identity: IdentityContext;
  readonly nonce: string;
  /** The verified remote manifest (when `manifest` is configured); `undefined` when it fails to verify. */
  readonly manifest?: unknown;
}) => string | Promise<string>;

/** Options of the {@link gatehouseBff} Fastify plugin. */
export interface GatehouseBffPluginOptions {
  /** Validated configuration (see `resolveConfig`). */
  readonly config: BffConfig;
  /** Session store; default: Redis when `config.redisUrl` is set, memory otherwise. */
  readonly store?: SessionStore;
  /** pino logger; default: a JSON logger at `config.logLevel`. */
  readonly logger?: Logger;
  /** Shell page for HTML navigations; default: the BFF's built-in page. `false` serves no pages. */
  readonly renderPage?: PageRenderer | false;
  /** Session events for the push channel; default: Redis pub/sub when `config.redisUrl` is set, else in memory. */
  readonly events?: SessionEventBus;
  /** Prometheus metrics; default: a registry of the BFF's own. */
  readonly metrics?: BffMetrics;
}

/** What the plugin decorates the Fastify instance with. */
export interface GatehouseRuntime {
  readonly config: BffConfig;
  readonly store: SessionStore;
  readonly sessions: SessionManager;
  readonly oidc: OidcClient;
  readonly cookies: CookieJar;
  readonly proxy: ApiProxy;
  readonly events: SessionEventBus;
  readonly push: PushChannel;
  readonly metrics: BffMetrics;
  /** The signed remote manifest, when configured. */
  readonly manifest: SignedManifest | undefined;
  readonly log: Logger;
}

declare module 'fastify' {
  interface FastifyInstance {
    gatehouseBff: GatehouseRuntime | null;
  }
}

const NO_STORE = 'no-store';
const isEmpty = (map: object) => Object.keys(map).length === 0;
const CLEAR_SITE_DATA = '"cache", "cookies", "storage"';

async function plugin(fastify: FastifyInstance, options: GatehouseBffPluginOptions): Promise<void> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  const store = options.store ?? createSessionStore(config);
  // A key that does not load stops the start, with the reason (GH_BFF_CONFIG_INVALID).
  const clientKey = await loadClientKey(config);
  const oidc = new OidcClient(config, { ...(clientKey ? { key: clientKey } : {}), log });
  const cookies = new CookieJar(config);
  const events =
    options.events ??
    (config.redisUrl
      ? new RedisSessionEventBus({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix })
      : new MemorySessionEventBus());
  // A manifest that does not verify stops the start: nothing unverified is ever handed to a page.
  const manifest = config.manifest ? new SignedManifest(config.manifest, log) : undefined;
  if (manifest && config.manifest?.watch) manifest.watch();
  const metrics = options.metrics ?? new BffMetrics();
  const sessions = new SessionManager(config, store, oidc, log, events, metrics);
  const proxy = new ApiProxy(config, sessions, cookies, log, metrics);
  const push = new PushChannel(sessions, events, log);
  const routes = new RouteTable(config.routes);
  const pageSecurity: PageSecurity = {
    remoteOrigins: config.remoteOrigins,
    trustedTypes: config.trustedTypes,
    integrityPolicy: config.integrityPolicy,
    hsts: config.publicUrl.startsWith('https://'),
  };
  metrics.observe({
    pushStreams: () => push.size,
    sessions: () => (store as { stats?: () => { sessions?: number } }).stats?.().sessions,
  });
  const runtime: GatehouseRuntime = Object.freeze({
    config,
    store,
    sessions,
    oidc,
    cookies,
    proxy,
    events,
    push,
    metrics,
    manifest,
    log,
  });
  fastify.decorate('gatehouseBff', null);
  fastify.gatehouseBff = runtime;
  fastify.addHook('preClose', async () => {
    push.close();
  });
  fastify.addHook('onClose', async () => {
    await proxy.close();
    if (!options.store) await store.close();
    if (!options.events) await events.close();
    manifest?.close();
  });

  // A library grants nothing by default; a deployment that forgot its role map should hear so at once.
  if (!config.production && isEmpty(config.roles) && isEmpty(config.tenantRoles)) {
    log.warn(
      { event: 'no_role_map' },
      'no role map configured (roles, tenantRoles): signed-in users get no permissions',
    );
  }

  // Discover the issuer early, without failing start-up when it is down (logins then show a clear error).
  oidc.configuration().catch((error: unknown) => {
    log.warn(
      { event: 'issuer_unavailable', issuer: config.issuer, err: error },
      'identity provider not reachable yet',
    );
  });

  /** The live session of a request, or why there is none. */
  async function sessionOf(request: FastifyRequest): Promise<ActiveSession | { ended: string | undefined }> {
    const cookie = cookies.session(request.headers.cookie);
    if (cookie.kind !== 'id') return { ended: undefined };
    return sessions.resolve(cookie.id);
  }

  function htmlError(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
    const nonce = newNonce();
    return reply
      .code(status)
      .headers(htmlHeaders(nonce, pageSecurity))
      .send(errorPage(nonce, title, message));
  }

  /** The login cannot reach the identity provider: logged, counted, and a clear page (no stack, no detail). */
  function issuerUnavailable(reply: FastifyReply, cause: unknown): FastifyReply {
    log.error({ event: 'login_failure', reason: 'issuer_unavailable', err: cause }, 'login failed');
    metrics.logins.inc({ outcome: 'issuer_unavailable' });
    return htmlError(
      reply,
      503,
      'Sign-in is unavailable',
      'The identity provider cannot be reached right now. Please try again in a moment.',
    );
  }

  await fastify.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 64 * 1024 });

    scope.setErrorHandler((error: unknown, request, reply) => {
      if (error instanceof BffError) {
        if (error.status >= 500)
          log.error({ event: 'bff_error', code: error.code, err: error.cause ?? error }, error.message);
        return replyProblem(reply, error.status, error.problem, error.message);
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return replyProblem(reply, status, problemCodeOf(status), (error as Error).message);
      }
      log.error({ event: 'bff_error', url: request.url.split('?')[0], err: error }, 'unexpected error');
      return replyProblem(reply, 500, 'internal', 'Something went wrong.');
    });

    // JSON with an empty body means "no body" (a bodiless POST that still says JSON), never a 400; otherwise
    // Fastify's own parser, with its prototype-poisoning protection.
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '') return done(null, undefined);
      return parseJson(request, body as string, done);
    });

    // Every miss answers problem+json, including files the static handlers do not have.
    scope.setNotFoundHandler((_request, reply) => replyProblem(reply, 404, 'not_found', 'No such resource.'));

    // Another site may navigate to /auth/* (a login link, the issuer's redirect to the callback, its
    // front-channel logout frame) but never read an answer or load one as a subresource (SECURITY.md D 29).
    scope.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/auth/')) return;
      const refused = checkResourceIsolation(request.method, request.headers);
      if (!refused) return;
      log.warn(
        { event: 'csrf_refused', reason: refused.reason, path: request.url.split('?')[0] },
        'request refused',
      );
      return replyProblem(reply, 403, 'csrf_failed', refused.reason);
    });

    scope.addHook('onSend', async (request, reply) => {
      if (!request.url.startsWith('/auth/')) return;
      const current = reply.getHeader('cache-control');
      if (typeof current !== 'string' || !current.includes(NO_STORE)) reply.header('cache-control', NO_STORE);
    });

    if (clientKey) await scope.register(jwksRoute, { key: clientKey });

    scope.get('/auth/login', async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const returnTo = safeReturnTo(Array.isArray(query.returnTo) ? undefined : query.returnTo);
      const binding = cookies.loginBinding(request.headers.cookie) ?? newOpaqueToken(32);
      const state = randomState();
      const nonce = randomNonce();
      const codeVerifier = randomPKCECodeVerifier();
      let location: URL;
      try {
        location = await oidc.authorizationUrl({ state, nonce, codeVerifier });
      } catch (error) {
        return issuerUnavailable(reply, error);
      }
      await store.putTransaction(
        state,
        { binding, codeVerifier, nonce, returnTo, createdAt: Date.now() },
        config.loginTimeout * 1000,
      );
      return reply.header('set-cookie', cookies.setLoginBinding(binding)).redirect(location.href, 302);
    });

    scope.get('/auth/callback', async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      const queryAt = request.url.indexOf('?');
      const rawQuery = queryAt === -1 ? '' : request.url.slice(queryAt + 1);
      const params = new URLSearchParams(rawQuery);
      const state = params.get('state');
      const binding = cookies.loginBinding(request.headers.cookie);
      const transaction = state ? await store.takeTransaction(state) : undefined;
      if (!transaction || !binding || transaction.binding !== binding) {
        log.warn({ event: 'login_failure', reason: 'state_mismatch' }, 'callback without a matching login');
        metrics.logins.inc({ outcome: 'state_mismatch' });
        return htmlError(
          reply,
          400,
          'Sign-in link expired',
          'This sign-in attempt is unknown, already used or was started in another browser. Please sign in again.',
        );
      }
      if (Date.now() - transaction.createdAt > config.loginTimeout * 1000) {
        return htmlError(reply, 400, 'Sign-in took too long', 'Please sign in again.');
      }
      let outcome: Awaited<ReturnType<OidcClient['redeem']>>;
      try {
        outcome = await oidc.redeem(rawQuery, {
          state: state as string,
          nonce: transaction.nonce,
          codeVerifier: transaction.codeVerifier,
        });
      } catch (error) {
        const code = oauthErrorCode(error);
        if (error instanceof BffError && error.status === 503) {
          return issuerUnavailable(reply, error.cause);
        }
        log.warn({ event: 'login_failure', reason: code ?? 'invalid_response', err: error }, 'login failed');
        metrics.logins.inc({ outcome: code === 'access_denied' ? 'cancelled' : 'rejected' });
        const message =
          code === 'access_denied'
            ? 'Sign-in was cancelled.'
            : 'The identity provider’s answer could not be accepted. Please sign in again.';
        return htmlError(reply, 400, 'Sign-in failed', message);
      }
      // Re-authentication replaces any previous session: its id is never reused (no fixation).
      const previous = cookies.session(request.headers.cookie);
      if (previous.kind === 'id') {
        const old = await store.get(previous.id);
        await sessions.end(previous.id, old, 'logout');
      }
      const session = await sessions.create(outcome.tokens, outcome.claims);
      log.info(
        { event: 'login_success', sub: session.record.sub, session: sessionRef(session.id) },
        'signed in',
      );
      metrics.logins.inc({ outcome: 'success' });
      return reply.header('set-cookie', cookies.setSession(session.id)).redirect(transaction.returnTo, 302);
    });

    scope.get('/auth/session', async (request, reply) => {
      // Reading the session is not activity: a tab that asks must not keep an idle session alive.
      const cookie = cookies.session(request.headers.cookie);
      const session = cookie.kind === 'id' ? await sessions.peek(cookie.id) : { ended: undefined };
      if ('record' in session) return reply.send(sessions.identity(session.record));
      if (session.ended !== undefined) reply.header('set-cookie', cookies.clearSession());
      return reply.send(anonymousIdentity);
    });

    scope.post('/auth/logout', async (request, reply) => {
      const csrf = checkCsrf(request.method, request.headers, config.origin);
      if (csrf) {
        log.warn({ event: 'csrf_refused', reason: csrf.reason, path: '/auth/logout' }, 'request refused');
        return replyProblem(reply, 403, 'csrf_failed', csrf.reason);
      }
      const type = request.headers['content-type'];
      if (type !== undefined && !type.toLowerCase().startsWith('application/json')) {
        return replyProblem(reply, 415, 'unsupported_media_type', 'Send no body, or JSON.');
      }
      const cookie = cookies.session(request.headers.cookie);
      if (cookie.kind === 'id') {
        const record = await store.get(cookie.id);
        await sessions.end(cookie.id, record, 'logout');
      }
      const redirectTo = (await oidc.endSessionUrl()) ?? config.postLogoutRedirectPath;
      return reply
        .header('set-cookie', [cookies.clearSession(), cookies.clearLoginBinding()])
        .header('clear-site-data', CLEAR_SITE_DATA)
        .send({ redirectTo });
    });

    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
      scope.route({
        method,
        url: '/auth/logout',
        handler: (_request, reply) => {
          reply.header('allow', 'POST');
          return replyProblem(reply, 405, 'method_not_allowed', 'Sign out with POST and the x-csrf header.');
        },
      });
    }

    scope.post('/auth/backchannel-logout', async (request, reply) => {
      reply.header('cache-control', 'no-cache, no-store');
      const body = request.body as Record<string, unknown> | undefined;
      const token = typeof body?.logout_token === 'string' ? body.logout_token : undefined;
      if (!token || !request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
        return reply
          .code(400)
          .send({ error: 'invalid_request', error_description: 'logout_token is required' });
      }
      let subject: Awaited<ReturnType<OidcClient['verifyLogoutToken']>>;
      try {
        subject = await oidc.verifyLogoutToken(token);
      } catch (error) {
        if (error instanceof BffError && error.code === 'GH_BFF_ISSUER_UNAVAILABLE') throw error;
        log.warn(
          { event: 'backchannel_logout_refused', reason: (error as Error).message },
          'logout token refused',
        );
        return reply
          .code(400)
          .send({ error: 'invalid_request', error_description: 'the logout token is not valid' });
      }
      if (subject.jti && !(await store.markOnce(`logout-jti:${subject.iss}:${subject.jti}`, 10 * 60_000))) {
        log.warn({ event: 'backchannel_logout_refused', reason: 'replayed' }, 'logout token replayed');
        return reply
          .code(400)
          .send({ error: 'invalid_request', error_description: 'the logout token was already used' });
      }
      const ended = subject.sid
        ? await store.deleteBySid(subject.iss, subject.sid)
        : await store.deleteBySub(subject.iss, subject.sub as string);
      await sessions.announceEnd(ended, 'backchannel_logout');
      log.info(
        { event: 'backchannel_logout', sub: subject.sub, sessions: ended.length },
        'back-channel logout',
      );
      return reply.code(200).send();
    });

    scope.get('/auth/frontchannel-logout', async (request, reply) => {
      // The issuer frames this page; a browser that says what it loads must say an iframe, so an <img> or a
      // fetch from a page of the same site cannot end sessions (SECURITY.md D 30). No Fetch Metadata: older
      // browsers, allowed.
      const dest = request.headers['sec-fetch-dest'];
      if (dest !== undefined && dest !== 'iframe') {
        const reason = 'Front-channel logout is loaded in an iframe only.';
        log.warn({ event: 'csrf_refused', reason, path: '/auth/frontchannel-logout' }, 'request refused');
        return replyProblem(reply, 403, 'csrf_failed', reason);
      }
      const query = request.query as Record<string, unknown>;
      const issuer = await oidc.issuer().catch(() => undefined);
      const nonce = newNonce();
      reply.headers(htmlHeaders(nonce, { ...pageSecurity, frameAncestors: new URL(config.issuer).origin }));
      if (typeof query.iss !== 'string' || typeof query.sid !== 'string' || query.iss !== issuer) {
        return reply
          .code(400)
          .send(
            errorPage(
              nonce,
              'Logout request refused',
              'The logout request does not name this issuer and a session.',
            ),
          );
      }
      const ended = await store.deleteBySid(query.iss, query.sid);
      await sessions.announceEnd(ended, 'frontchannel_logout');
      log.info({ event: 'frontchannel_logout', sessions: ended.length }, 'front-channel logout');
      return reply.send(errorPage(nonce, 'Signed out', 'You have been signed out.'));
    });

    scope.get('/auth/events', async (request, reply) => {
      const session = await sessionOf(request);
      if (!('record' in session)) {
        return replyProblem(
          reply,
          401,
          session.ended === undefined ? 'unauthenticated' : 'session_expired',
          'No session to follow.',
        );
      }
      if (push.full) return replyProblem(reply, 503, 'upstream_unavailable', 'Too many open event streams.');
      reply.hijack();
      push.open(session.id, reply.raw, sessions.expiresAt(session.record));
    });

    scope.post('/auth/session/extend', async (request, reply) => {
      const csrf = checkCsrf(request.method, request.headers, config.origin);
      if (csrf) return replyProblem(reply, 403, 'csrf_failed', csrf.reason);
      const cookie = cookies.session(request.headers.cookie);
      if (cookie.kind !== 'id') return replyProblem(reply, 401, 'unauthenticated', 'Sign in first.');
      const extended = await sessions.extend(cookie.id);
      if (!('record' in extended)) {
        reply.header('set-cookie', cookies.clearSession());
        return replyProblem(reply, 401, 'session_expired', 'Your session has ended. Sign in again.');
      }
      return reply.send(sessions.identity(extended.record));
    });

    await scope.register(async (telemetry) => {
      await telemetry.register(rateLimit, {
        global: false,
        max: 60,
        timeWindow: 60_000,
        keyGenerator: (request) => {
          const cookie = cookies.session(request.headers.cookie);
          return cookie.kind === 'id' ? sessionRef(cookie.id) : request.ip;
        },
        errorResponseBuilder: (_request, context) => ({
          statusCode: context.statusCode,
          message: 'Too many telemetry requests.',
        }),
      });
      telemetry.post(
        '/telemetry',
        { bodyLimit: telemetryBatchLimits.bytes, config: { rateLimit: {} } },
        async (request, reply) => {
          const csrf = checkCsrf(request.method, request.headers, config.origin);
          if (csrf) return replyProblem(reply, 403, 'csrf_failed', csrf.reason);
          if (!request.headers['content-type']?.toLowerCase().startsWith('application/json')) {
            return replyProblem(reply, 415, 'unsupported_media_type', 'Send JSON.');
          }
          const result = readTelemetry(request.body);
          if ('problem' in result) return replyProblem(reply, 400, 'bad_request', result.problem);
          logTelemetry(log, result.events);
          return reply.code(202).header('cache-control', NO_STORE).send();
        },
      );
    });

    // Browser security reports (CSP, Integrity-Policy): sent by the browser itself, so no CSRF header; only
    // their own content types, small, rate-limited, logged.
    await scope.register(async (reports) => {
      await reports.register(rateLimit, { global: false, max: 120, timeWindow: 60_000 });
      reports.addContentTypeParser(
        ['application/reports+json', 'application/csp-report'],
        { parseAs: 'string', bodyLimit: 64 * 1024 },
        (_request, body, done) => {
          try {
            done(null, JSON.parse(body as string));
          } catch {
            done(Object.assign(new Error('The report is not JSON.'), { statusCode: 400 }), undefined);
          }
        },
      );
      reports.post('/reports', { config: { rateLimit: {} } }, async (request, reply) => {
        const type = request.headers['content-type'] ?? '';
        if (!type.startsWith('application/reports+json') && !type.startsWith('application/csp-report')) {
          return replyProblem(reply, 415, 'unsupported_media_type', 'Send a browser report.');
        }
        logSecurityReports(log, request.body);
        return reply.code(204).send();
      });
    });

    // Static files: the shell's bundle (public) and sensitive remotes (served only to sessions allowed to
    // load them: their code never reaches anyone else).
    for (const assets of config.assets) {
      await scope.register(async (files) => {
        if (assets.access === 'required') {
          files.addHook('onRequest', async (request, reply) => {
            const cookie = cookies.session(request.headers.cookie);
            const found = cookie.kind === 'id' ? await sessions.peek(cookie.id) : { ended: undefined };
            if (!('record' in found)) {
              return replyProblem(
                reply,
                401,
                cookie.kind === 'id' ? 'session_expired' : 'unauthenticated',
                'Sign in first.',
              );
            }
            const refused = checkAccess(found.record.user, {
              ...(assets.roles ? { roles: [assets.roles] } : {}),
              ...(assets.permissions ? { permissions: assets.permissions } : {}),
              ...(assets.tenantMember ? { tenant: true } : {}),
            });
            if (refused) {
              log.info(
                { event: 'access_denied', status: 403, path: assets.prefix, sub: found.record.sub },
                'asset refused',
              );
              return replyProblem(reply, 403, 'forbidden', 'You may not load this.');
            }
          });
        }
        await files.register(fastifyStatic, {
          root: assets.dir,
          prefix: assets.prefix,
          decorateReply: false,
          index: false,
          dotfiles: 'deny',
          cacheControl: false,
          setHeaders: (res) => {
            res.setHeader(
              'cache-control',
              assets.access === 'public' ? 'public, no-cache' : 'private, no-cache',
            );
            res.setHeader('vary', 'Cookie');
            res.setHeader('x-content-type-options', 'nosniff');
            res.setHeader('cross-origin-resource-policy', 'same-origin');
          },
        });
      });
    }

    // The API proxy. The standalone server routes `/api/*` to the proxy before Fastify; this route serves
    // the same handler when the BFF is used as a plugin. Bodies stay unread so they stream to the upstream.
    await scope.register(async (api) => {
      api.removeAllContentTypeParsers();
      api.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      api.all('/api/*', (request, reply) => {
        reply.hijack();
        proxy.handle(request.raw, reply.raw);
      });
    });

    if (options.renderPage !== false) {
      const render: PageRenderer =
        options.renderPage ?? (({ path, identity, nonce }) => defaultPage(nonce, path, identity));
      const servePage = async (request: FastifyRequest, reply: FastifyReply) => {
        const queryAt = request.url.indexOf('?');
        const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
        if (!isNavigation(request.headers)) return replyProblem(reply, 404, 'not_found', 'No such resource.');
        const session = await sessionOf(request);
        const auth = routes.auth(path);
        if (!('record' in session)) {
          if (session.ended !== undefined) reply.header('set-cookie', cookies.clearSession());
          if (auth === 'required') {
            log.info({ event: 'protected_route_redirect', path }, 'navigation needs a session');
            const target = safeReturnTo(request.url);
            return reply
              .header('cache-control', NO_STORE)
              .redirect(`/auth/login?returnTo=${encodeURIComponent(target)}`, 302);
          }
        }
        const identity =
          'record' in session ? sessions.identity((session as ActiveSession).record) : anonymousIdentity;
        const nonce = newNonce();
        const html = await render({
          path,
          identity,
          nonce,
          ...(manifest ? { manifest: manifest.current() } : {}),
        });
        return reply.code(200).headers(htmlHeaders(nonce, pageSecurity)).send(html);
      };
      scope.get('/', servePage);
      scope.get('/*', servePage);
    }
  });
}

/**
 * The Gatehouse BFF as a Fastify plugin: `/auth/*` (login, callback, session, logout, back- and
 * front-channel logout), the `/api/*` proxy, and HTML navigations guarded by the route table.
 *
 * @example
 * const app = Fastify();
 * await app.register(gatehouseBff, { config: resolveConfig(optionsFromEnv(process.env)) });
 */
export const gatehouseBff = fp(plugin, { fastify: '5.x', name: '@gatehouse/bff' });

/** Re-exported for hosts that resolve sessions themselves. */
export type { SessionRecord };
