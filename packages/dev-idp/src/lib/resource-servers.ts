import type { ResourceServer } from 'oidc-provider';
import type { ResolvedDevIdpOptions } from '../options.js';

/**
 * What oidc-provider issues for one configured API audience: a JWT access token (`typ: at+jwt`) whose `aud`
 * is the audience, signed with the dev IdP's algorithm, for the audience's scopes. `undefined` for an
 * audience the dev IdP does not serve. The resource-indicator grants and the token exchange share it.
 */
export function resourceServerInfo(
  options: Pick<ResolvedDevIdpOptions, 'audiences' | 'signingAlg'>,
  audience: string,
): ResourceServer | undefined {
  const configured = options.audiences.find((candidate) => candidate.resource === audience);
  if (!configured) return undefined;
  return {
    scope: configured.scope,
    audience: configured.resource,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: options.signingAlg } },
  };
}
