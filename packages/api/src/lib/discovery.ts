import { allowInsecureRequests, discoveryRequest, processDiscoveryResponse } from 'oauth4webapi';
import { ApiError } from '../errors.js';

/** The part of an OpenID Connect / RFC 8414 discovery document the verifier needs. */
export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwksUri: string;
}

/**
 * Reads `<issuer>/.well-known/openid-configuration` with oauth4webapi (`discoveryRequest` +
 * `processDiscoveryResponse`: a 200 JSON answer, redirects not followed, `issuer` checked). On top of it:
 * the document's `issuer` must equal the configured one exactly, character for character (oauth4webapi
 * compares them as URLs, so `https://id.example/` would pass for `https://id.example`; the tokens' `iss`
 * must match exactly, so the document must too: mix-up defence), and `jwks_uri` must be an http(s) URL on
 * the same scheme as the issuer. An `http:` issuer (development) is allowed here; production refuses it
 * when the options are checked. Every failure is a `GH_API_ISSUER_UNAVAILABLE` with the cause kept.
 *
 * @example
 * const { jwksUri } = await discoverIssuer('https://id.example.com', 5000);
 */
export async function discoverIssuer(issuer: string, timeoutMs: number): Promise<IssuerMetadata> {
  const where = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const fail = (message: string, cause?: unknown) =>
    new ApiError('GH_API_ISSUER_UNAVAILABLE', `discovery at ${where}: ${message}`, { cause });
  let response: Response;
  let document: Awaited<ReturnType<typeof processDiscoveryResponse>>;
  try {
    const expected = new URL(issuer);
    response = await discoveryRequest(expected, {
      signal: AbortSignal.timeout(timeoutMs),
      ...(expected.protocol === 'http:' ? { [allowInsecureRequests]: true } : {}),
    });
    try {
      document = await processDiscoveryResponse(expected, response);
    } catch (error) {
      await response.body?.cancel().catch(() => {});
      throw fail(
        response.status === 200
          ? `unusable document: ${(error as Error).message}`
          : `answered ${response.status}`,
        error,
      );
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw fail('request failed', error);
  }
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
