import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  bffClient,
  createDevIdp,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type DevIdp,
} from '@gatehouse/dev-idp';
import type { FastifyInstance } from 'fastify';
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokenVerifier } from '../src/index.js';
import { buildShopService } from './fixtures/shop-service.js';

// One real token end to end: the dev IdP (oidc-provider) issues it after a login through its HTML form, and
// the example service verifies it by discovery + JWKS, like the shop's APIs behind the BFF.
const BFF = 'http://localhost:4999';
let idp: DevIdp;
let app: FastifyInstance;

beforeAll(async () => {
  idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: BFF })] });
  app = await buildShopService({ issuer: idp.issuer });
});
afterAll(async () => {
  await app?.close();
  await idp?.close();
});

/** A DPoP key pair (RFC 9449) and proofs signed by it, with jose. */
interface DPoPKey {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  proof(htm: string, htu: string, accessToken?: string): Promise<string>;
}

async function dpopKey(): Promise<DPoPKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const proof = (htm: string, htu: string, accessToken?: string) =>
    new SignJWT({
      htm,
      htu,
      jti: randomUUID(),
      ...(accessToken ? { ath: base64url.encode(createHash('sha256').update(accessToken).digest()) } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .setIssuedAt()
      .sign(privateKey);
  return { privateKey, jwk, proof };
}

/**
 * Signs in through the login form as a browser would, then redeems the code as the BFF would (with a DPoP
 * proof of `dpop` at the token endpoint when given: the access token is then bound to that key).
 */
async function tokensFor(
  login: string,
  dpop?: DPoPKey,
): Promise<{ access_token: string; id_token: string; token_type: string }> {
  const cookies = new Map<string, string>();
  const request = async (url: string, init: { form?: Record<string, string> } = {}) => {
    const response = await fetch(url, {
      method: init.form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      cookies.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
    return response;
  };
  const follow = async (url: string, init: { form?: Record<string, string> } = {}) => {
    let current = url;
    let response = await request(current, init);
    while (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get('location')!, current);
      if (next.origin !== new URL(idp.issuer).origin) return { url: next, response };
      current = next.href;
      response = await request(current);
    }
    return { url: new URL(current), response };
  };

  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL('/auth', idp.issuer);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: DEFAULT_CLIENT_ID,
    redirect_uri: `${BFF}/auth/callback`,
    scope: 'openid profile',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const page = await follow(authorize.href);
  const html = await page.response.text();
  const action = [...html.matchAll(/<form[^>]*action="([^"]+)"/g)]
    .map((match) => match[1]!.replaceAll('&amp;', '&'))
    .find((candidate) => candidate.endsWith('/login'));
  if (!action) throw new Error(`no login form at ${page.url.href}`);
  const done = await follow(new URL(action, page.url).href, { form: { login, password: login } });
  const code = done.url.searchParams.get('code');
  if (!code) throw new Error(`no code at ${done.url.href}`);
  const tokenEndpoint = new URL('/token', idp.issuer);
  const token = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      ...(dpop ? { dpop: await dpop.proof('POST', tokenEndpoint.href) } : {}),
      authorization: `Basic ${Buffer.from(`${DEFAULT_CLIENT_ID}:${DEFAULT_CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: `${BFF}/auth/callback`,
      code_verifier: verifier,
    }).toString(),
  });
  expect(token.status).toBe(200);
  return (await token.json()) as { access_token: string; id_token: string; token_type: string };
}

describe('with a real access token from @gatehouse/dev-idp', () => {
  it('verifies it and enforces ownership; refuses its ID token', async () => {
    const { access_token, id_token } = await tokensFor('bob');
    const get = (url: string, token: string) =>
      app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    expect((await get('/orders/order_456', access_token)).statusCode).toBe(200);
    expect((await get('/orders/order_123', access_token)).statusCode).toBe(403);
    expect((await get('/orders/order_nope', access_token)).statusCode).toBe(404);
    expect((await get('/orders/order_456', id_token)).statusCode).toBe(401);
    // The dev IdP follows RFC 9068 (typ at+jwt), so the strict setting accepts its tokens too.
    const strict = createAccessTokenVerifier({
      issuer: idp.issuer,
      audience: 'urn:gatehouse:shop',
      requireAccessTokenType: true,
    });
    const { header, claims } = await strict.verify(access_token);
    expect(header.typ).toBe('at+jwt');
    expect(claims).toMatchObject({ sub: 'user_bob', aud: 'urn:gatehouse:shop', roles: ['customer'] });
  });

  it("reads frank's tenant memberships from the token", async () => {
    const { access_token } = await tokensFor('frank');
    const get = (url: string) =>
      app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${access_token}`, 'x-tenant-id': 'acme' },
      });
    expect((await get('/org/globex/users')).statusCode).toBe(200);
    expect((await get('/org/acme/users')).statusCode).toBe(403);
  });

  it('DPoP: a token the dev IdP bound to a key is accepted with a proof of that key, refused as a bearer token', async () => {
    const key = await dpopKey();
    const { access_token, token_type } = await tokensFor('bob', key);
    expect(token_type).toBe('DPoP');
    const { claims } = await createAccessTokenVerifier({
      issuer: idp.issuer,
      audience: 'urn:gatehouse:shop',
    }).verify(access_token, {
      scheme: 'DPoP',
      dpop: {
        proof: await key.proof('GET', 'http://localhost/orders/order_456', access_token),
        method: 'GET',
        url: 'http://localhost/orders/order_456',
      },
    });
    expect(claims.cnf).toEqual({ jkt: await calculateJwkThumbprint(key.jwk, 'sha256') });
    const proof = await key.proof('GET', 'http://localhost:80/orders/order_456', access_token);
    const bound = await app.inject({
      method: 'GET',
      url: '/orders/order_456',
      headers: { authorization: `DPoP ${access_token}`, dpop: proof },
    });
    expect(bound.statusCode).toBe(200);
    const replayed = await app.inject({
      method: 'GET',
      url: '/orders/order_456',
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.headers['www-authenticate']).toMatch(/^DPoP .*error="invalid_token"/);
  });
});
