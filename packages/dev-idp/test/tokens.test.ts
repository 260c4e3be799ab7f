import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bffClient, createDevIdp, type DevIdp, devIdpAcr } from '../src/index.js';
import {
  authorizationUrl,
  Browser,
  redeemCode,
  revokeRefreshToken,
  signIn,
  tokenRequest,
  verifyJwt,
} from './helpers.js';

const client = bffClient({ baseUrl: 'http://localhost:4999' });

async function tokensFor(idp: DevIdp, login = 'alice', extra: Record<string, string> = {}) {
  const flow = await signIn(idp, { client, login, extra });
  const { status, body } = await redeemCode(idp, client, flow);
  expect(status).toBe(200);
  return body as { access_token: string; refresh_token: string; id_token: string; expires_in: number };
}

const refresh = (idp: DevIdp, refreshToken: string, auth: 'basic' | 'post' | 'none' = 'basic') =>
  tokenRequest(idp, client, { grant_type: 'refresh_token', refresh_token: refreshToken }, auth);

describe('tokens', () => {
  let idp: DevIdp;

  beforeAll(async () => {
    idp = await createDevIdp({
      port: 0,
      clients: [client],
      audiences: [{ resource: 'urn:gatehouse:shop' }, { resource: 'urn:gatehouse:other', scope: 'openid' }],
    });
  });
  afterAll(() => idp.close());

  it('issues a refresh token for the BFF without prompt=consent', async () => {
    const tokens = await tokensFor(idp);
    expect(tokens.refresh_token).toMatch(/^[\w-]{40,}$/);
  });

  it('updateUser: tokens issued after it, refreshes included, carry the new roles; earlier ones keep theirs', async () => {
    const first = await tokensFor(idp, 'frank');
    const changed = idp.updateUser('frank', { roles: ['support'], tenants: [] });
    expect(changed).toMatchObject({ login: 'frank', sub: 'user_frank', roles: ['support'], tenants: [] });
    expect(Object.isFrozen(changed.roles)).toBe(true);
    expect((await verifyJwt(idp, first.id_token, client.client_id)).payload.roles).toEqual(['customer']);
    const { status, body } = await refresh(idp, first.refresh_token);
    expect(status).toBe(200);
    expect((await verifyJwt(idp, body.id_token, client.client_id)).payload).toMatchObject({
      roles: ['support'],
      tenants: [],
    });
    const at = await verifyJwt(idp, body.access_token, 'urn:gatehouse:shop', 'at+jwt');
    expect(at.payload.roles).toEqual(['support']);
    expect(idp.updateUser('user_frank', { roles: ['customer'] }).roles).toEqual(['customer']);
    expect(() => idp.updateUser('mallory', { roles: ['admin'] })).toThrow(
      expect.objectContaining({ code: 'GH_DEV_IDP_UNKNOWN_USER' }),
    );
  });

  it('puts acr and auth_time in access tokens, from sign-in and after a refresh (step-up at the APIs)', async () => {
    const weak = await tokensFor(idp, 'erin');
    const at = await verifyJwt(idp, weak.access_token, 'urn:gatehouse:shop', 'at+jwt');
    const id = await verifyJwt(idp, weak.id_token, client.client_id);
    expect(at.payload.acr).toBe(devIdpAcr.password);
    expect(at.payload.auth_time).toEqual(expect.any(Number));
    expect(Math.abs(Number(at.payload.auth_time) - Date.now() / 1000)).toBeLessThan(30);
    expect(id.payload).toMatchObject({ acr: devIdpAcr.password, auth_time: at.payload.auth_time });
    const flow = await signIn(idp, { client, login: 'erin', code: '123456' });
    const strong = (await redeemCode(idp, client, flow)).body as {
      access_token: string;
      refresh_token: string;
    };
    const strongAt = await verifyJwt(idp, strong.access_token, 'urn:gatehouse:shop', 'at+jwt');
    expect(strongAt.payload.acr).toBe(devIdpAcr.securityCode);
    const { body } = await refresh(idp, strong.refresh_token);
    const refreshed = await verifyJwt(idp, body.access_token, 'urn:gatehouse:shop', 'at+jwt');
    expect(refreshed.payload).toMatchObject({
      acr: devIdpAcr.securityCode,
      auth_time: strongAt.payload.auth_time,
    });
  });

  it('answers a refresh with a new JWT access token and a rotated refresh token', async () => {
    const first = await tokensFor(idp, 'dave');
    const { status, body } = await refresh(idp, first.refresh_token);
    expect(status).toBe(200);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body.refresh_token).not.toBe(first.refresh_token);
    expect(body.access_token).not.toBe(first.access_token);
    expect(decodeProtectedHeader(String(body.access_token)).typ).toBe('at+jwt');
    const at = await verifyJwt(idp, body.access_token, 'urn:gatehouse:shop', 'at+jwt');
    expect(at.payload).toMatchObject({
      sub: 'user_dave',
      aud: 'urn:gatehouse:shop',
      roles: ['store_manager'],
      tenants: [],
    });
    // an ID token again, for the same user and session
    const id = await verifyJwt(idp, body.id_token, client.client_id);
    expect(id.payload).toMatchObject({ sub: 'user_dave', name: 'Dave', roles: ['store_manager'] });
  });

  it('revokes the whole family when a rotated refresh token is used again', async () => {
    const first = await tokensFor(idp);
    const second = await refresh(idp, first.refresh_token);
    expect(second.status).toBe(200);
    const reuse = await refresh(idp, first.refresh_token);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    const newest = await refresh(idp, String(second.body.refresh_token));
    expect(newest.status).toBe(400);
    expect(newest.body.error).toBe('invalid_grant');
    const introspection = await tokenRequest(
      idp,
      client,
      { token: String(second.body.refresh_token) },
      'basic',
      '/token/introspection',
    );
    expect(introspection.body).toEqual({ active: false });
  });

  it('refuses a refresh token presented without client credentials (SECURITY 23)', async () => {
    const tokens = await tokensFor(idp);
    for (const auth of ['none'] as const) {
      const stolen = await refresh(idp, tokens.refresh_token, auth);
      expect(stolen.status).toBe(401);
      expect(stolen.body.error).toBe('invalid_client');
    }
    const noClient = await tokenRequest(idp, undefined, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(noClient.body.error).toBe('invalid_request');
    // the token still works for its owner
    expect((await refresh(idp, tokens.refresh_token)).status).toBe(200);
  });

  it('refuses a refresh token of another client', async () => {
    const other = bffClient({
      baseUrl: 'http://localhost:4998',
      clientId: 'other-bff',
      clientSecret: 'other-secret',
    });
    const two = await createDevIdp({ port: 0, clients: [client, other] });
    try {
      const flow = await signIn(two, { client });
      const { body } = await redeemCode(two, client, flow);
      const stolen = await tokenRequest(two, other, {
        grant_type: 'refresh_token',
        refresh_token: String(body.refresh_token),
      });
      expect(stolen.status).toBe(400);
      expect(stolen.body.error).toBe('invalid_grant');
    } finally {
      await two.close();
    }
  });

  it('revokes a refresh token at the revocation endpoint, and with it the grant', async () => {
    const tokens = await tokensFor(idp);
    const revoked = await revokeRefreshToken(idp, client, tokens.refresh_token);
    expect(revoked.status).toBe(200);
    const after = await refresh(idp, tokens.refresh_token);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
    const introspection = await tokenRequest(
      idp,
      client,
      { token: tokens.refresh_token },
      'basic',
      '/token/introspection',
    );
    expect(introspection.body).toEqual({ active: false });
  });

  it('introspects a refresh token for its client; JWT access tokens are verified locally instead', async () => {
    const tokens = await tokensFor(idp, 'erin');
    const { status, body } = await tokenRequest(
      idp,
      client,
      { token: tokens.refresh_token },
      'basic',
      '/token/introspection',
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ active: true, sub: 'user_erin', client_id: client.client_id });
    const jwt = await tokenRequest(
      idp,
      client,
      { token: tokens.access_token },
      'basic',
      '/token/introspection',
    );
    expect(jwt.body.error).toBe('unsupported_token_type');
    const anonymous = await tokenRequest(
      idp,
      undefined,
      { token: tokens.refresh_token },
      'none',
      '/token/introspection',
    );
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.active).toBeUndefined();
  });

  it('issues a token for another configured audience when the client asks for it', async () => {
    const tokens = await tokensFor(idp, 'bob', { resource: 'urn:gatehouse:other' });
    const at = await verifyJwt(idp, tokens.access_token, 'urn:gatehouse:other', 'at+jwt');
    expect(at.payload.aud).toBe('urn:gatehouse:other');
    await expect(verifyJwt(idp, tokens.access_token, 'urn:gatehouse:shop', 'at+jwt')).rejects.toThrow();
    // the refresh keeps the granted audience
    const refreshed = await refresh(idp, tokens.refresh_token);
    expect(
      (await verifyJwt(idp, refreshed.body.access_token, 'urn:gatehouse:other', 'at+jwt')).payload.sub,
    ).toBe('user_bob');
  });

  it('refuses an unknown audience', async () => {
    const auth = authorizationUrl(idp, { client, extra: { resource: 'urn:gatehouse:unknown' } });
    const done = await new Browser().navigate(auth.url, {}, (location) => location.origin !== idp.issuer);
    const callback = new URL(done.url);
    expect(callback.searchParams.get('error')).toBe('invalid_target');
    expect(callback.searchParams.get('code')).toBeNull();
  });
});

describe('ttl', () => {
  it('uses the configured access token lifetime on the code and refresh grants', async () => {
    const idp = await createDevIdp({ port: 0, clients: [client], ttl: { AccessToken: 2 } });
    try {
      const tokens = await tokensFor(idp);
      expect(tokens.expires_in).toBe(2);
      const at = await verifyJwt(idp, tokens.access_token, 'urn:gatehouse:shop', 'at+jwt');
      expect(at.payload.exp! - at.payload.iat!).toBe(2);
      const refreshed = await refresh(idp, tokens.refresh_token);
      expect(refreshed.body.expires_in).toBe(2);
    } finally {
      await idp.close();
    }
  });

  it('gives the refresh token family an absolute lifetime', async () => {
    const idp = await createDevIdp({ port: 0, clients: [client], ttl: { RefreshToken: 3 } });
    try {
      const tokens = await tokensFor(idp);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const second = await refresh(idp, tokens.refresh_token);
      expect(second.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const third = await refresh(idp, String(second.body.refresh_token));
      expect(third.status).toBe(400);
      expect(third.body.error).toBe('invalid_grant');
    } finally {
      await idp.close();
    }
  });
});
