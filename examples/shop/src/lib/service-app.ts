import { gatehouseApi } from '@gatehouse/api';
import { shopServiceAudiences } from '@gatehouse/dev-idp';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Database } from '../db/database.js';
import { createDatabaseAuditSink } from '../services/audit/database-audit-sink.js';
import { shopRoleMaps } from '../shop-roles.js';
import { shopTenantTokens } from '../shop-tenancy.js';

/** What every shop service needs. */
export interface ServiceOptions {
  /** The shop's database (each service touches only its own schema, plus the audit log it appends to). */
  readonly db: Database;
  /** The OpenID Connect issuer whose access tokens the services accept. */
  readonly issuer: string;
  /**
   * The audience every service accepts; default: each service its own, from {@link shopServiceAudiences}
   * (a token for the catalog is refused by orders, and so on).
   */
  readonly audience?: string;
  /**
   * The secret the shop's services show each other on internal routes (header `x-gatehouse-service-key`).
   * A client never has it, and the BFF drops every `x-gatehouse-*` header a browser sends.
   */
  readonly serviceKey: string;
  /** Fastify's logger option; default off. */
  readonly logger?: FastifyServerOptions['logger'];
}

/** The dev IdP's default audience, which every shop service accepts when started with `audience: SHOP_AUDIENCE`. */
export const SHOP_AUDIENCE = 'urn:gatehouse:shop';

/** The audience of each shop service (RFC 8707 resource indicators the dev IdP serves). */
export { shopServiceAudiences };

/** The service names {@link createServiceApp} takes: one audience each. */
export type ShopServiceName = keyof typeof shopServiceAudiences;

/**
 * A Fastify app with `@gatehouse/api` registered (every route needs a valid access token unless it says
 * otherwise), audit events written to the database under the service's name, and `GET /health`.
 */
export async function createServiceApp(
  service: ShopServiceName,
  options: ServiceOptions,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  await app.register(gatehouseApi, {
    issuer: options.issuer,
    audience: options.audience ?? shopServiceAudiences[service],
    ...shopRoleMaps,
    // The tenant the user works in, from tokens the BFF asked for it (shop-tenancy.ts).
    activeTenantClaim: shopTenantTokens.claim,
    audit: createDatabaseAuditSink(options.db, service),
  });
  // What a signed-in caller gets is theirs: no shared cache keeps it, unless a route says otherwise.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.principal && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'private, no-store');
    return payload;
  });
  app.get('/health', { config: { auth: 'public' } }, async () => ({ service, ok: true }));
  return app;
}
