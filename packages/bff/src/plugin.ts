import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { loadClientKey } from './client-key.js';
import type { BffConfig } from './config.js';
import { loadDPoPKey } from './dpop-key.js';
import type { SessionEventBus } from './events.js';
import { authNoStore, authResourceIsolation } from './http/auth-scope.js';
import { bffErrorHandler, notFound } from './http/error-handler.js';
import { acceptEmptyJson } from './http/json-body.js';
import { refuseOtherTargetForms } from './http/request-target.js';
import { typeboxValidator } from './http/validator.js';
import type { BffMetrics } from './metrics.js';
import { nativeHandoffRoutes } from './native/handoff-routes.js';
import type { PageRenderer } from './pages.js';
import { RequestSession } from './request-session.js';
import { apiRoutes } from './routes/api.js';
import { assetRoutes } from './routes/assets.js';
import { ingestRoutes } from './routes/ingest.js';
import { jwksRoute } from './routes/jwks.js';
import { loginRoutes } from './routes/login.js';
import { logoutRoutes } from './routes/logout.js';
import { pageRoutes } from './routes/pages.js';
import { pendingRoutes } from './routes/pending.js';
import { sessionRoutes } from './routes/session.js';
import { sessionListRoutes } from './routes/sessions.js';
import { sharedSignalsRoutes } from './routes/shared-signals.js';
import { tenantRoutes } from './routes/tenant.js';
import { createRuntime, type GatehouseRuntime } from './runtime.js';
import type { SessionRecord, SessionStore } from './session/types.js';

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

declare module 'fastify' {
  interface FastifyInstance {
    gatehouseBff: GatehouseRuntime | null;
  }
  interface FastifyRequest {
    /**
     * In the BFF's own routes: this request's session, looked up lazily (made on first use; the cookie
     * verified and the store read at most once, and only when a route asks).
     */
    session: RequestSession;
  }
}

async function plugin(fastify: FastifyInstance, options: GatehouseBffPluginOptions): Promise<void> {
  // A client key that does not load stops the start, with the reason (GH_BFF_CONFIG_INVALID).
  const clientKey = await loadClientKey(options.config);
  const dpopKey = await loadDPoPKey(options.config);
  const owned = createRuntime({
    ...options,
    ...(clientKey ? { clientKey } : {}),
    ...(dpopKey ? { dpopKey } : {}),
  });
  const { runtime } = owned;
  fastify.decorate('gatehouseBff', null);
  fastify.gatehouseBff = runtime;
  fastify.addHook('preClose', async () => owned.stopStreams());
  // WebSocket handshakes to `/api/…` never reach a route: the server's `upgrade` event is the proxy's. Other
  // targets are left to the host's own listeners; with none, their socket is closed rather than left open.
  fastify.server.on('upgrade', (req, socket, head) => {
    if (runtime.proxy.upgrade(req, socket, head)) return;
    if (fastify.server.listenerCount('upgrade') === 1) socket.destroy();
  });
  fastify.addHook('onClose', () => owned.close());
  // Encapsulated: the hooks, the error handler and `request.session` apply to the BFF's routes only.
  await fastify.register(async (scope) => {
    scope.setValidatorCompiler(typeboxValidator);
    scope.setErrorHandler(bffErrorHandler(runtime.log));
    scope.setNotFoundHandler(notFound);
    acceptEmptyJson(scope);
    scope.decorateRequest('session', { getter: requestSessions(runtime) });
    // The first check of all: anything but an origin-form target is refused before another check reads it.
    scope.addHook('onRequest', refuseOtherTargetForms);
    scope.addHook('onRequest', authResourceIsolation(runtime.log));
    scope.addHook('onSend', authNoStore);

    const routes = { runtime };
    if (runtime.clientKey) await scope.register(jwksRoute, { key: runtime.clientKey });
    await scope.register(loginRoutes, routes);
    await scope.register(logoutRoutes, routes);
    if (runtime.config.sharedSignals) await scope.register(sharedSignalsRoutes, routes);
    await scope.register(sessionRoutes, routes);
    if (runtime.config.nativeRedirectUris.length > 0) await scope.register(nativeHandoffRoutes, routes);
    await scope.register(pendingRoutes, routes);
    await scope.register(sessionListRoutes, routes);
    await scope.register(tenantRoutes, routes);
    await scope.register(ingestRoutes, routes);
    await scope.register(assetRoutes, routes);
    await scope.register(apiRoutes, routes);
    if (options.renderPage !== false) {
      await scope.register(pageRoutes, { ...routes, renderPage: options.renderPage });
    }
  });
}

/** The getter of `request.session`: made on first use, then the same for the rest of the request. */
function requestSessions({ cookies, sessions }: GatehouseRuntime) {
  const made = new WeakMap<FastifyRequest, RequestSession>();
  return function session(this: FastifyRequest): RequestSession {
    let found = made.get(this);
    if (found === undefined) {
      found = new RequestSession(this.headers.cookie, cookies, sessions);
      made.set(this, found);
    }
    return found;
  };
}

/**
 * The Gatehouse BFF as a Fastify plugin: `/auth/*` (login, callback, session, logout, back- and
 * front-channel logout), telemetry and browser reports, static assets, the `/api/*` proxy, and HTML
 * navigations guarded by the route table. It decorates the instance with `gatehouseBff` (the runtime).
 *
 * @example
 * const app = Fastify();
 * await app.register(gatehouseBff, { config: resolveConfig(optionsFromEnv(process.env)) });
 */
export const gatehouseBff = fp(plugin, { fastify: '5.x', name: '@gatehouse/bff' });

export type { GatehouseRuntime, PageRenderer, SessionRecord };
