import type { FastifyPluginAsync } from 'fastify';
import type { BffRouteOptions } from './route-options.js';

/**
 * `/api/*` when the BFF is a plugin in another Fastify app: the route hands the raw request to the proxy's
 * one entry (`ApiProxy.handle`), the same the standalone server's fast path calls. Bodies stay unread, so
 * they stream to the upstream.
 */
export const apiRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  scope.all('/api/*', (request, reply) => {
    reply.hijack();
    runtime.proxy.handle(request.raw, reply.raw);
  });
};
