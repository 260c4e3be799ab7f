// The bench upstream and the dev IdP, each in its own process, for a suite that then starts a BFF of its own on
// the port chosen here (the IdP's client must know that BFF's URL before it starts).
import type { DevIdpTtl } from '@gatehouse/dev-idp';
import { freePort } from '@gatehouse/testing';
import { benchPath } from './paths.js';
import { type Server, startServer } from './processes.js';

/** What {@link startUpstreamAndIdp} started, and the BFF's port and URL the IdP was told. */
export interface IdpStack {
  readonly port: number;
  readonly publicUrl: string;
  readonly upstream: Server;
  readonly idp: Server;
}

/**
 * Picks the BFF's port, starts the upstream and a dev IdP whose client redirects to `http://localhost:<port>`
 * (access tokens living as `ttl` says, when given); each is added to `servers` as it starts, so the caller
 * stops whatever started.
 */
export async function startUpstreamAndIdp(servers: Server[], ttl?: DevIdpTtl): Promise<IdpStack> {
  const port = await freePort();
  const publicUrl = `http://localhost:${port}`;
  const upstream = await startServer('upstream', benchPath('servers/upstream.ts'));
  servers.push(upstream);
  const idp = await startServer('dev IdP', benchPath('servers/idp.ts'), {
    env: { BENCH_IDP_OPTIONS: JSON.stringify({ bffBaseUrl: publicUrl, ...(ttl ? { ttl } : {}) }) },
  });
  servers.push(idp);
  return { port, publicUrl, upstream, idp };
}
