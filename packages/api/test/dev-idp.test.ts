import { createHash, randomBytes } from 'node:crypto';
import {
  bffClient,
  createDevIdp,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type DevIdp,
} from '@gatehouse/dev-idp';
import type { FastifyInstance } from 'fastify';
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

/** Signs in through the login form as a browser would, then redeems the code as the BFF would. */
async function tokensFor(login: string): Promise<{ access_token: string; id_token: string }> {
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
  const token = await fetch(new URL('/token', idp.issuer), {
    method: 'POST',
    headers: {
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
  return (await token.json()) as { access_token: string; id_token: string };
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
});
