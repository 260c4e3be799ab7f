import fastifyStatic from '@fastify/static';
import { type AccessRequirement, checkAccess } from '@gatehouse/policy';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AssetsConfig } from '../config.js';
import { replyProblem } from '../problem.js';
import type { GatehouseRuntime } from '../runtime.js';
import type { BffRouteOptions } from './route-options.js';

/**
 * Static files the BFF serves itself (`assets`): the shell's bundle (`access: 'public'`), and remotes whose
 * code only some sessions may load (`access: 'required'`: 401 without a session, 403 when the rule does not
 * hold; their code never reaches anyone else). No listings, no dotfiles, nothing outside the directory.
 */
export const assetRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  for (const assets of runtime.config.assets) {
    await scope.register(async (files) => {
      if (assets.access === 'required') files.addHook('onRequest', accessCheck(runtime, assets));
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
};

/** `onRequest` hook of a `required` directory: a live session (not counted as activity) the rule admits. */
function accessCheck(runtime: GatehouseRuntime, assets: AssetsConfig) {
  const rule: AccessRequirement = {
    ...(assets.roles ? { roles: [assets.roles] } : {}),
    ...(assets.permissions ? { permissions: assets.permissions } : {}),
    ...(assets.tenantMember ? { tenant: true as const } : {}),
  };
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const found = await request.session.peek();
    if (!('record' in found)) {
      const code = found.ended === undefined ? 'unauthenticated' : 'session_expired';
      return replyProblem(reply, 401, code, 'Sign in first.');
    }
    if (!checkAccess(found.record.user, rule)) return undefined;
    runtime.log.info(
      { event: 'access_denied', status: 403, path: assets.prefix, sub: found.record.sub },
      'asset refused',
    );
    return replyProblem(reply, 403, 'forbidden', 'You may not load this.');
  };
}
