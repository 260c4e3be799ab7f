import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  type GenerateKeyPairResult,
  generateKeyPair,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  bffClient,
  createDevIdp,
  type DevIdp,
  type DevIdpClient,
  devIdpAcr,
  TOKEN_EXCHANGE_GRANT,
} from '../src/index.js';
import { redeemCode, revokeRefreshToken, signIn, tokenRequest, verifyJwt } from './helpers.js';

const client = bffClient({ baseUrl: 'http://localhost:4998' });
const other = bffClient({ baseUrl: 'http://localhost:4997', clientId: 'other-bff', clientSecret: 'other' });
const noExchange: DevIdpClient = {
  ...bffClient({ baseUrl: 'http://localhost:4996', clientId: 'no-exchange', clientSecret: 'plain' }),
  grant_types: ['authorization_code', 'refresh_token'],
};
const SHOP = 'urn:gatehouse:shop';
const CATALOG = 'urn:gatehouse:shop:catalog';

async function signedIn(idp: DevIdp, as: DevIdpClient = client, login = 'alice') {
  const flow = await signIn(idp, { client: as, login });
  const { status, body } = await redeemCode(idp, as, flow);
  expect(status).toBe(200);
  return body as { access_token: string; refresh_token: string; expires_in: number };
}

/** A token-exchange request by `as`, authenticated with its secret. */
const exchange = (idp: DevIdp, params: Record<string, string>, as: DevIdpClient = client) =>
  tokenRequest(idp, as, {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token_type: ACCESS_TOKEN_TYPE,
    ...params,
  });

describe('token exchange (RFC 8693)', () => {
  let idp: DevIdp;

  beforeAll(async () => {
    idp = await createDevIdp({
      port: 0,
      clients: [client, other, noExchange],
      audiences: [{ resource: SHOP }, { resource: CATALOG, scope: 'openid profile' }],
    });
  });
  afterAll(() => idp.close());

  it('advertises the grant in discovery', async () => {
    const metadata = (await (
      await fetch(new URL('/.well-known/openid-configuration', idp.issuer))
    ).json()) as {
      grant_types_supported: string[];
    };
    expect(metadata.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
  });

  it('trades the main token for one of another audience: same user and sign-in, no more scope or life', async () => {
    const tokens = await signedIn(idp);
    const subject = await verifyJwt(idp, tokens.access_token, SHOP, 'at+jwt');
    const { status, body } = await exchange(idp, { subject_token: tokens.access_token, audience: CATALOG });
    expect(status).toBe(200);
    expect(body).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer' });
    expect(body.refresh_token).toBeUndefined();
    const exchanged = await verifyJwt(idp, body.access_token, CATALOG, 'at+jwt');
    expect(exchanged.payload).toMatchObject({
      sub: 'user_alice',
      client_id: client.client_id,
      acr: devIdpAcr.password,
      auth_time: subject.payload.auth_time,
      roles: subject.payload.roles,
    });
    expect(exchanged.payload.exp).toBeLessThanOrEqual(subject.payload.exp ?? 0);
    expect(String(exchanged.payload.scope).split(' ').sort()).toEqual(['openid', 'profile']);
    await expect(verifyJwt(idp, body.access_token, SHOP, 'at+jwt')).rejects.toThrow();
    // RFC 8707's name for the target works as well, and a narrower scope can be asked.
    const narrowed = await exchange(idp, {
      subject_token: tokens.access_token,
      resource: CATALOG,
      scope: 'openid',
    });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('openid');
  });

  it('refuses what it cannot honour, each with its OAuth error', async () => {
    const tokens = await signedIn(idp);
    const subject_token = tokens.access_token;
    const cases: [Record<string, string>, string][] = [
      [{ subject_token, audience: 'urn:gatehouse:unknown' }, 'invalid_target'],
      [{ subject_token }, 'invalid_target'],
      [{ subject_token, audience: CATALOG, resource: CATALOG }, 'invalid_target'],
      [
        { subject_token, audience: CATALOG, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
        'invalid_request',
      ],
      [
        {
          subject_token,
          audience: CATALOG,
          requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        },
        'invalid_request',
      ],
      [
        { subject_token, audience: CATALOG, actor_token: subject_token, actor_token_type: ACCESS_TOKEN_TYPE },
        'invalid_request',
      ],
      [{ audience: CATALOG }, 'invalid_request'],
      [{ subject_token: `${subject_token.slice(0, -4)}AAAA`, audience: CATALOG }, 'invalid_grant'],
      [{ subject_token: tokens.refresh_token, audience: CATALOG }, 'invalid_grant'],
    ];
    for (const [params, error] of cases) {
      const { status, body } = await exchange(idp, params);
      expect({ params: Object.keys(params), status, error: body.error }).toEqual({
        params: Object.keys(params),
        status: 400,
        error,
      });
    }
  });

  it('exchanges only a token issued to the asking client, and only for a client that registered the grant', async () => {
    const theirs = await signedIn(idp, other);
    const stolen = await exchange(idp, { subject_token: theirs.access_token, audience: CATALOG });
    expect(stolen.body.error).toBe('invalid_grant');
    const own = await signedIn(idp, noExchange);
    const unregistered = await exchange(
      idp,
      { subject_token: own.access_token, audience: CATALOG },
      noExchange,
    );
    // oidc-provider's answer to a grant the client did not register.
    expect(unregistered.body).toMatchObject({
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    });
    // Named, but not authenticated (no secret).
    const anonymous = await tokenRequest(
      idp,
      client,
      {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token_type: ACCESS_TOKEN_TYPE,
        subject_token: own.access_token,
        audience: CATALOG,
      },
      'none',
    );
    expect(anonymous.body.error).toBe('invalid_client');
  });

  it('refuses a token whose grant ended (the refresh token revoked at logout)', async () => {
    const tokens = await signedIn(idp);
    const revoked = await revokeRefreshToken(idp, client, tokens.refresh_token);
    expect(revoked.status).toBe(200);
    const { body } = await exchange(idp, { subject_token: tokens.access_token, audience: CATALOG });
    expect(body.error).toBe('invalid_grant');
  });

  it('carries the organisation a tenant-scoped token was for', async () => {
    const tokens = await signedIn(idp, client, 'erin');
    const scoped = await tokenRequest(idp, client, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      organization: 'acme',
    });
    const subject = await verifyJwt(idp, scoped.body.access_token, SHOP, 'at+jwt');
    expect(subject.payload.org_id).toBe('acme');
    const { body } = await exchange(idp, {
      subject_token: String(scoped.body.access_token),
      audience: CATALOG,
    });
    expect((await verifyJwt(idp, body.access_token, CATALOG, 'at+jwt')).payload.org_id).toBe('acme');
  });
});

/** A DPoP proof (RFC 9449) for a POST to the dev IdP's token endpoint. */
async function proof(idp: DevIdp, key: GenerateKeyPairResult): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: new URL('/token', idp.issuer).href, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
    .setIssuedAt()
    .sign(key.privateKey);
}

async function dpopRequest(idp: DevIdp, params: Record<string, string>, dpop?: string) {
  const credentials = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');
  const response = await fetch(new URL('/token', idp.issuer), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${credentials}`,
      ...(dpop ? { dpop } : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

describe('token exchange with DPoP (RFC 9449)', () => {
  let idp: DevIdp;
  let key: GenerateKeyPairResult;
  let subjectToken: string;

  beforeAll(async () => {
    idp = await createDevIdp({ port: 0, clients: [client], dpop: true });
    key = await generateKeyPair('ES256');
    const flow = await signIn(idp, { client });
    const redeemed = await dpopRequest(
      idp,
      {
        grant_type: 'authorization_code',
        code: flow.code,
        code_verifier: flow.verifier,
        redirect_uri: flow.redirectUri,
      },
      await proof(idp, key),
    );
    expect(redeemed.body.token_type).toBe('DPoP');
    subjectToken = redeemed.body.access_token ?? '';
  });
  afterAll(() => idp.close());

  const params = () => ({
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    audience: CATALOG,
  });

  it('exchanges a DPoP-bound token only with a proof of its key, and binds the new token to it', async () => {
    const bare = await dpopRequest(idp, params());
    expect(bare.body.error).toBe('invalid_grant');
    const wrongKey = await dpopRequest(idp, params(), await proof(idp, await generateKeyPair('ES256')));
    expect(wrongKey.body.error).toBe('invalid_grant');
    const sent = await proof(idp, key);
    const { status, body } = await dpopRequest(idp, params(), sent);
    expect(status).toBe(200);
    expect(body.token_type).toBe('DPoP');
    const exchanged = await verifyJwt(idp, body.access_token, CATALOG, 'at+jwt');
    expect(exchanged.payload.cnf).toEqual({
      jkt: await calculateJwkThumbprint(await exportJWK(key.publicKey)),
    });
    // The same proof again is a replay.
    const replayed = await dpopRequest(idp, params(), sent);
    expect(replayed.status).toBe(400);
  });
});
