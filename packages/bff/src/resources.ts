import type { BffConfig, UpstreamConfig } from './config.js';

/**
 * The resource whose token the code exchange asks for, and which the session's main token is for: the
 * top-level `resource`, else the first upstream's own, else none (the issuer's default audience).
 */
export function primaryResource(config: Pick<BffConfig, 'resource' | 'upstreams'>): string | undefined {
  if (config.resource) return config.resource;
  for (const upstream of Object.values(config.upstreams)) if (upstream.resource) return upstream.resource;
  return undefined;
}

/**
 * Every resource the authorization request names (RFC 8707 §2.1: one `resource` parameter each), so that
 * the grant covers them all and the refresh token may later be used for any one of them: the top-level
 * `resource` and each upstream's, once each, in configuration order.
 */
export function grantedResources(config: Pick<BffConfig, 'resource' | 'upstreams'>): readonly string[] {
  const all = new Set<string>();
  if (config.resource) all.add(config.resource);
  for (const upstream of Object.values(config.upstreams)) if (upstream.resource) all.add(upstream.resource);
  return [...all];
}

/**
 * Which token an upstream gets: `undefined` for the session's main token (an upstream with no resource of its
 * own, or with the primary one), else the resource whose own token it gets.
 */
export function tokenResource(upstream: Pick<UpstreamConfig, 'resource'>, primary: string | undefined) {
  return upstream.resource === undefined || upstream.resource === primary ? undefined : upstream.resource;
}
