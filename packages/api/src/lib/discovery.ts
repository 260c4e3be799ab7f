import { ApiError } from '../errors.js';

/** The part of an OpenID Connect / RFC 8414 discovery document the verifier needs. */
export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwksUri: string;
}

/**
 * Reads `<issuer>/.well-known/openid-configuration`: the document's `issuer` must equal the configured one
 * exactly (mix-up defence), and `jwks_uri` must be an http(s) URL on the same scheme as the issuer. Redirects
 * are not followed. Every failure is a `GH_API_ISSUER_UNAVAILABLE` with the cause kept.
 */
export async function discoverIssuer(issuer: string, timeoutMs: number): Promise<IssuerMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const fail = (message: string, cause?: unknown) =>
    new ApiError('GH_API_ISSUER_UNAVAILABLE', `discovery at ${url}: ${message}`, { cause });
  let body: unknown;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) throw fail(`answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw fail('request failed', error);
  }
  const document = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (document.issuer !== issuer) throw fail('the document names another issuer');
  const jwksUri = document.jwks_uri;
  if (typeof jwksUri !== 'string') throw fail('no jwks_uri');
  let parsed: URL;
  try {
    parsed = new URL(jwksUri);
  } catch (error) {
    throw fail('jwks_uri is not a URL', error);
  }
  if (parsed.protocol !== new URL(issuer).protocol)
    throw fail('jwks_uri uses another scheme than the issuer');
  return Object.freeze({ issuer, jwksUri: parsed.href });
}
