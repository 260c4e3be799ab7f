import type { FastifyInstance } from 'fastify';
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiErrorCode, MemoryAuditSink } from '../src/index.js';
import { buildShopService } from './fixtures/shop-service.js';
import {
  AUDIENCE,
  type CountingServer,
  startCanary,
  startTestIssuer,
  type TestIssuer,
} from './fixtures/test-issuer.js';

// docs/security-requirements.md#j51 to #j55 and #g41, one test each, through HTTP against the example service. The issuer's
// discovery document and JWKS are served by a real node:http server.
let issuer: TestIssuer;
let canary: CountingServer;
let app: FastifyInstance;
const audit = new MemoryAuditSink();
let attacker: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  issuer = await startTestIssuer();
  attacker = await generateKeyPair('RS256', { extractable: true });
  canary = await startCanary({ keys: [{ ...(await exportJWK(attacker.publicKey)), kid: issuer.kid }] });
  app = await buildShopService({ issuer: issuer.issuer, audit });
});

afterAll(async () => {
  await app?.close();
  await issuer?.close();
  await canary?.close();
});

const get = (authorization?: string) =>
  app.inject({ method: 'GET', url: '/orders/order_123', headers: authorization ? { authorization } : {} });

async function expect401(authorization?: string, code?: ApiErrorCode) {
  const response = await get(authorization);
  if (code) expect(audit.events.at(-1)?.reason).toBe(code);
  expect(response.statusCode).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json()).toMatchObject({ status: 401, code: 'unauthenticated', title: 'Sign-in required' });
  expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
  expect(response.body).not.toMatch(/eyJ|at |stack/);
  return response;
}

const now = () => Math.floor(Date.now() / 1000);
const unsigned = (header: object, payload: object) =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.`;

describe('JWT validation (docs/security-requirements.md#j-jwt-validation)', () => {
  it('accepts a valid access token (the control case)', async () => {
    const response = await get(`Bearer ${await issuer.accessToken('alice')}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: 'order_123', ownerId: 'user_alice' });
  });

  it('51: refuses alg "none"', async () => {
    const claims = {
      iss: issuer.issuer,
      aud: AUDIENCE,
      sub: 'user_alice',
      roles: ['customer'],
      exp: now() + 60,
    };
    await expect401(`Bearer ${unsigned({ alg: 'none', typ: 'at+jwt' }, claims)}`, 'GH_API_TOKEN_ALG_REFUSED');
    await expect401(`Bearer ${unsigned({ alg: 'none' }, claims)}`);
    await expect401(`Bearer ${unsigned({ alg: 'NONE', typ: 'at+jwt' }, claims)}`);
  });

  it('51: refuses a tampered payload', async () => {
    const [header, , signature] = (await issuer.accessToken('bob')).split('.');
    const forged = base64url.encode(
      JSON.stringify({
        iss: issuer.issuer,
        aud: AUDIENCE,
        sub: 'user_alice',
        roles: ['support'],
        exp: now() + 300,
      }),
    );
    await expect401(`Bearer ${header}.${forged}.${signature}`, 'GH_API_TOKEN_SIGNATURE_INVALID');
  });

  it("52: refuses an HS256 token signed with the issuer's public key (key confusion)", async () => {
    const pem = issuer.publicPem;
    for (const secret of [
      new TextEncoder().encode(pem),
      new TextEncoder().encode(JSON.stringify(issuer.publicJwk)),
    ]) {
      const token = await new SignJWT({ ...baseClaims(), roles: ['support'] })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: issuer.kid })
        .sign(secret);
      await expect401(`Bearer ${token}`, 'GH_API_TOKEN_ALG_REFUSED');
    }
  });

  it('53: refuses a jku header and never fetches it', async () => {
    const before = canary.requests.length;
    // Signed by an attacker whose key the canary serves, and also by the real issuer: both refused.
    const forged = await issuer.accessToken('alice', {}, { jku: `${canary.url}/jwks` }, attacker.privateKey);
    const genuine = await issuer.accessToken('alice', {}, { jku: `${canary.url}/jwks` });
    await expect401(`Bearer ${forged}`, 'GH_API_TOKEN_HEADER_REFUSED');
    await expect401(`Bearer ${genuine}`, 'GH_API_TOKEN_HEADER_REFUSED');
    const x5u = await issuer.accessToken('alice', {}, { x5u: `${canary.url}/cert.pem` }, attacker.privateKey);
    await expect401(`Bearer ${x5u}`, 'GH_API_TOKEN_HEADER_REFUSED');
    expect(canary.requests.length).toBe(before);
  });

  it('53: refuses an embedded jwk header (and x5c)', async () => {
    const jwk = await exportJWK(attacker.publicKey);
    await expect401(
      `Bearer ${await issuer.accessToken('alice', { roles: ['support'] }, { jwk }, attacker.privateKey)}`,
      'GH_API_TOKEN_HEADER_REFUSED',
    );
    await expect401(
      `Bearer ${await issuer.accessToken('alice', {}, { x5c: ['MIIB'] })}`,
      'GH_API_TOKEN_HEADER_REFUSED',
    );
  });

  it('53: refuses a token signed by an unknown key under a known kid', async () => {
    await expect401(
      `Bearer ${await issuer.accessToken('alice', {}, {}, attacker.privateKey)}`,
      'GH_API_TOKEN_SIGNATURE_INVALID',
    );
  });

  it('53: refuses a malformed kid without asking the issuer', async () => {
    const before = issuer.jwksRequests();
    for (const kid of ['../../etc/passwd', "k' OR 1=1 --", 'a'.repeat(200), 'kid\r\nx']) {
      await expect401(
        `Bearer ${await issuer.accessToken('alice', {}, { kid })}`,
        'GH_API_TOKEN_HEADER_REFUSED',
      );
    }
    expect(issuer.jwksRequests()).toBe(before);
  });

  it('54: refuses an expired token', async () => {
    await expect401(
      `Bearer ${await issuer.accessToken('alice', { iat: now() - 600, exp: now() - 60 })}`,
      'GH_API_TOKEN_EXPIRED',
    );
    const response = await get(`Bearer ${await issuer.accessToken('alice', { exp: now() - 60 })}`);
    expect(response.json().detail).toBe('The access token has expired.');
  });

  it('54: accepts a token within the clock tolerance, refuses one beyond it', async () => {
    expect((await get(`Bearer ${await issuer.accessToken('alice', { exp: now() - 2 })}`)).statusCode).toBe(
      200,
    );
    await expect401(
      `Bearer ${await issuer.accessToken('alice', { exp: now() - 10 })}`,
      'GH_API_TOKEN_EXPIRED',
    );
  });

  it('54: refuses a token that is not yet valid', async () => {
    await expect401(
      `Bearer ${await issuer.accessToken('alice', { nbf: now() + 120 })}`,
      'GH_API_TOKEN_NOT_YET_VALID',
    );
  });

  it('54: refuses a wrong audience and a token of another audience', async () => {
    await expect401(
      `Bearer ${await issuer.accessToken('alice', { aud: 'urn:gatehouse:other' })}`,
      'GH_API_TOKEN_CLAIM_INVALID',
    );
    await expect401(`Bearer ${await issuer.accessToken('alice', { aud: 'https://evil.example' })}`);
    await expect401(
      `Bearer ${await issuer.accessToken('alice', { aud: [AUDIENCE, 'urn:gatehouse:other'] })}`,
      'GH_API_TOKEN_CLAIM_INVALID',
    );
    await expect401(`Bearer ${await issuer.accessToken('alice', { aud: undefined })}`);
  });

  it('54 / 41: refuses a wrong issuer, even with the same sub and a valid signature', async () => {
    await expect401(
      `Bearer ${await issuer.accessToken('alice', { iss: 'https://evil.example' })}`,
      'GH_API_TOKEN_CLAIM_INVALID',
    );
    await expect401(`Bearer ${await issuer.accessToken('alice', { iss: `${issuer.issuer}/` })}`);
  });

  it('55: refuses an ID token sent as bearer', async () => {
    const idClaims = {
      ...baseClaims(),
      nonce: 'n-0S6_WzA2Mj',
      at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
      auth_time: now(),
    };
    // As oidc-provider issues one: typ absent or JWT, aud = the client id.
    await expect401(
      `Bearer ${await issuer.sign({ alg: 'RS256', kid: issuer.kid }, { ...idClaims, aud: 'gatehouse-bff' })}`,
      'GH_API_TOKEN_CLAIM_INVALID',
    );
    // Even with the API's audience, the ID-token claims give it away.
    await expect401(
      `Bearer ${await issuer.sign({ alg: 'RS256', kid: issuer.kid, typ: 'JWT' }, idClaims)}`,
      'GH_API_TOKEN_TYPE_REFUSED',
    );
    await expect401(
      `Bearer ${await issuer.sign({ alg: 'RS256', kid: issuer.kid }, { ...baseClaims(), at_hash: 'x' })}`,
    );
  });

  it('55: refuses a logout token sent as bearer', async () => {
    const events = { 'http://schemas.openid.net/event/backchannel-logout': {} };
    const logout = { ...baseClaims(), sid: 'sid-1', jti: 'j1', events };
    await expect401(
      `Bearer ${await issuer.sign({ alg: 'RS256', kid: issuer.kid, typ: 'logout+jwt' }, logout)}`,
      'GH_API_TOKEN_TYPE_REFUSED',
    );
    await expect401(
      `Bearer ${await issuer.sign({ alg: 'RS256', kid: issuer.kid }, logout)}`,
      'GH_API_TOKEN_TYPE_REFUSED',
    );
  });

  it('refuses a garbage Authorization header and a missing one', async () => {
    for (const header of [
      'Bearer',
      'Bearer not-a-jwt',
      'Bearer a.b.c',
      'Bearer eyJhbGciOiJSUzI1NiJ9.e30',
      'Basic dXNlcjpwYXNz',
      `Token ${await issuer.accessToken('alice')}`,
      'Bearer \u0000\u0001',
      `Bearer ${'A'.repeat(20_000)}`,
    ]) {
      await expect401(header);
    }
    const missing = await expect401(undefined);
    expect(missing.headers['www-authenticate']).toBe(`Bearer realm="${AUDIENCE}"`);
    const bad = await expect401('Bearer a.b.c');
    expect(bad.headers['www-authenticate']).toBe(`Bearer realm="${AUDIENCE}", error="invalid_token"`);
  });

  it('never takes a token from the query string', async () => {
    const token = await issuer.accessToken('alice');
    const response = await app.inject({ method: 'GET', url: `/orders/order_123?access_token=${token}` });
    expect(response.statusCode).toBe(401);
  });

  it('audits authentication failures without the token', async () => {
    audit.clear();
    await get('Bearer a.b.c');
    const event = audit.events.at(-1);
    expect(event).toMatchObject({ action: 'orders.read', outcome: 'denied', actor: null, status: 401 });
    expect(event?.reason).toMatch(/^GH_API_TOKEN_/);
    expect(JSON.stringify(audit.events)).not.toContain('a.b.c');
  });
});

function baseClaims() {
  return {
    iss: issuer.issuer,
    aud: AUDIENCE,
    sub: 'user_alice',
    roles: ['customer'],
    iat: now(),
    exp: now() + 300,
  };
}
