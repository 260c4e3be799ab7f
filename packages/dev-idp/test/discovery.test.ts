import { freePort } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevIdp, type DevIdp } from '../src/index.js';

describe('discovery', () => {
  let idp: DevIdp;
  let port: number;
  let metadata: Record<string, unknown>;

  beforeAll(async () => {
    port = await freePort();
    idp = await createDevIdp({ port });
    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    metadata = (await response.json()) as Record<string, unknown>;
  });
  afterAll(() => idp.close());

  it('names the issuer http://localhost:<port> and listens on 127.0.0.1', () => {
    expect(idp.issuer).toBe(`http://localhost:${port}`);
    expect(idp.url).toBe(`http://127.0.0.1:${port}`);
    expect(idp.port).toBe(port);
    expect(metadata.issuer).toBe(idp.issuer);
  });

  it('lists the endpoints under the issuer', () => {
    expect(metadata).toMatchObject({
      authorization_endpoint: `${idp.issuer}/auth`,
      token_endpoint: `${idp.issuer}/token`,
      jwks_uri: `${idp.issuer}/jwks`,
      end_session_endpoint: `${idp.issuer}/session/end`,
      revocation_endpoint: `${idp.issuer}/token/revocation`,
      introspection_endpoint: `${idp.issuer}/token/introspection`,
    });
  });

  it('has no userinfo endpoint (claims come in the ID token)', () => {
    expect(metadata).not.toHaveProperty('userinfo_endpoint');
  });

  it('supports PKCE with S256 only, the code flow only, and confidential clients only', () => {
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token']),
    );
    expect(metadata.grant_types_supported).not.toContain('implicit');
    // Confidential clients only: never `none`.
    expect([...(metadata.token_endpoint_auth_methods_supported as string[])].sort()).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ]);
  });

  it('announces back-channel logout with sid, and the shop claims and scopes', () => {
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect(metadata.backchannel_logout_session_supported).toBe(true);
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']),
    );
    expect(metadata.claims_supported).toEqual(
      expect.arrayContaining([
        'sub',
        'sid',
        'name',
        'email',
        'email_verified',
        'roles',
        'tenants',
        'locale',
        'currency',
      ]),
    );
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('announces DPoP (RFC 9449) with asymmetric proof algorithms', () => {
    expect(metadata.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
    expect(
      (metadata.dpop_signing_alg_values_supported as string[]).filter((alg) => alg.startsWith('HS')),
    ).toEqual([]);
  });

  it('publishes RS256 and ES256 public keys only', async () => {
    const jwks = (await (await fetch(`${idp.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of jwks.keys) {
      expect(key).not.toHaveProperty('d');
      expect(key.use).toBe('sig');
      expect(typeof key.kid).toBe('string');
    }
  });
});
