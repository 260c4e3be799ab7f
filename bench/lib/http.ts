// What the bench sends and starts the same way in every suite: the API request headers and the BFF's options.
import type { BffOptions } from '@gatehouse/bff';
import { shopServiceAudiences } from '@gatehouse/dev-idp';

/**
 * Headers of every API request the bench sends, to every target: what the shell's API client sends that the
 * BFF checks (JSON, the CSRF header, Fetch Metadata), nothing more, so request sizes match across targets.
 */
export const BENCH_API_HEADERS = Object.freeze({
  accept: 'application/json',
  'x-csrf': '1',
  'sec-fetch-site': 'same-origin',
});

/** The BFF's session cookie. */
export const SESSION_COOKIE = '__Host-Http-gatehouse';

/** Where a bench BFF runs and what it talks to. */
export interface BenchBff {
  readonly publicUrl: string;
  readonly port: number;
  readonly issuer: string;
  readonly secret: string;
  /** The upstream behind `/api/bench/`, when there is one. */
  readonly upstream?: string;
}

/**
 * The options of a bench BFF (`startBff(resolveConfig(…))` in servers/bff.ts): on 127.0.0.1, the shop's
 * audience, log level warn, the upstream as `bench`; `extra` adds or overrides.
 */
export function bffOptions(bff: BenchBff, extra: BffOptions = {}): BffOptions {
  return {
    publicUrl: bff.publicUrl,
    port: bff.port,
    host: '127.0.0.1',
    issuer: bff.issuer,
    resource: 'urn:gatehouse:shop',
    sessionSecrets: [bff.secret],
    ...(bff.upstream ? { upstreams: { bench: { url: bff.upstream } } } : {}),
    logLevel: 'warn',
    ...extra,
  };
}

/**
 * Six upstreams of the shop's six audiences (RFC 8707), all on the bench upstream `url`: orders is `bench`
 * (the proxied GET's measured one), the others keep their service names. Each gets a token of its own at its
 * first request: by `resource`, obtained with the refresh token (RFC 8707); by `exchange`, the main token
 * exchanged for it (RFC 8693). The session's main token stays `urn:gatehouse:shop`.
 */
export function sixAudiences(
  url: string,
  by: 'resource' | 'exchange' = 'resource',
): NonNullable<BffOptions['upstreams']> {
  return Object.fromEntries(
    Object.entries(shopServiceAudiences).map(([service, resource]) => [
      service === 'orders' ? 'bench' : service,
      by === 'resource' ? { url, resource } : { url, exchange: resource },
    ]),
  );
}
