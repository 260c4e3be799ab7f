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
 * A token an upstream gets instead of the session's main one: its resource's own, obtained with the refresh
 * token (RFC 8707), or the main token exchanged for its audience (RFC 8693). `key` is where the session
 * keeps it (`SessionTokens.resources`): the resource indicator itself, or `exchange <audience>` (a resource
 * indicator is a URI and never holds a space, so the two never meet).
 */
export type TokenTarget =
  | { readonly kind: 'resource'; readonly key: string; readonly resource: string }
  | { readonly kind: 'exchange'; readonly key: string; readonly audience: string };

/**
 * Which token an upstream gets: `undefined` for the session's main token (an upstream with neither resource
 * nor exchange of its own, or with the primary resource), else its {@link TokenTarget}.
 */
export function tokenTarget(
  upstream: Pick<UpstreamConfig, 'resource' | 'exchange'>,
  primary: string | undefined,
): TokenTarget | undefined {
  if (upstream.exchange !== undefined)
    return { kind: 'exchange', key: `exchange ${upstream.exchange}`, audience: upstream.exchange };
  if (upstream.resource === undefined || upstream.resource === primary) return undefined;
  return { kind: 'resource', key: upstream.resource, resource: upstream.resource };
}
