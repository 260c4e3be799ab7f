import type { FastifyInstance } from 'fastify';
import type { ClientKey } from '../client-key.js';

/**
 * `GET /auth/jwks`: the public key the BFF signs its `private_key_jwt` client assertions with, as a JWK Set
 * (RFC 7517), for the issuer to fetch (register this URL as the client's `jwks_uri`). Registered only when a
 * client key is configured. Like every `/auth/*` answer it is `no-store`: issuers keep their own cache.
 */
export async function jwksRoute(app: FastifyInstance, options: { readonly key: ClientKey }): Promise<void> {
  const body = JSON.stringify({ keys: [options.key.publicJwk] });
  app.get('/auth/jwks', async (_request, reply) =>
    reply.header('content-type', 'application/jwk-set+json').send(body),
  );
}
