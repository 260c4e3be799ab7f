import { readStepUpChallenge } from '@gatehouse/policy';
import { demoRoleMaps } from '@gatehouse/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gatehouseApi, MemoryAuditSink, requireAuthLevel, requirePermission } from '../src/index.js';
import { AUDIENCE, startTestIssuer, type TestIssuer } from './fixtures/test-issuer.js';

// docs/security-requirements.md#l57 (step-up): requireAuthLevel on routes of a real service, with access tokens
// signed by the test issuer's RS256 key and verified against its discovery document and JWKS over real HTTP.
const LOA1 = 'urn:gatehouse:loa:1';
const LOA2 = 'urn:gatehouse:loa:2';
let issuer: TestIssuer;
let app: FastifyInstance;
const audit = new MemoryAuditSink();
let handled = 0;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  issuer = await startTestIssuer();
  app = Fastify({ logger: false });
  await app.register(gatehouseApi, { issuer: issuer.issuer, audience: AUDIENCE, ...demoRoleMaps, audit });
  const ok = async () => {
    handled++;
    return { ok: true };
  };
  app.put(
    '/billing',
    { preHandler: [requirePermission('orders:view'), requireAuthLevel({ acr: LOA2, maxAge: 300 })] },
    ok,
  );
  app.get('/recent', { preHandler: app.gatehouse.requireAuthLevel({ maxAge: 60 }) }, ok);
  app.get('/either', { preHandler: requireAuthLevel({ acr: [LOA2, 'urn:other:strong'] }) }, ok);
});
afterAll(async () => {
  await app?.close();
  await issuer?.close();
});
beforeEach(() => {
  audit.clear();
  handled = 0;
});

async function call(method: 'GET' | 'PUT', url: string, claims: JWTPayload) {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await issuer.accessToken('alice', claims)}` },
  });
}

describe('requireAuthLevel (docs/security-requirements.md#l57)', () => {
  it('57: a password-only token → 401 insufficient_user_authentication (RFC 9470) with acr_values and max_age', async () => {
    const response = await call('PUT', '/billing', { acr: LOA1, auth_time: now() });
    expect(response.statusCode).toBe(401);
    const challenge = response.headers['www-authenticate'] as string;
    expect(challenge).toMatch(/^Bearer realm="[^"]+", error="insufficient_user_authentication", /);
    expect(challenge).toContain(`acr_values="${LOA2}"`);
    expect(challenge).toContain('max_age="300"');
    expect(readStepUpChallenge(challenge)).toEqual({ acr_values: LOA2, max_age: 300 });
    expect(response.json()).toMatchObject({
      type: 'urn:gatehouse:problem:step_up_required',
      status: 401,
      code: 'step_up_required',
      acr_values: LOA2,
      max_age: 300,
    });
    expect(handled).toBe(0);
    expect(audit.events.at(-1)).toMatchObject({ outcome: 'denied', reason: 'GH_API_STEP_UP_REQUIRED' });
  });

  it('57: the right acr too long ago, or no auth_time, asks again; a recent one passes', async () => {
    expect((await call('PUT', '/billing', { acr: LOA2, auth_time: now() - 301 })).statusCode).toBe(401);
    expect((await call('PUT', '/billing', { acr: LOA2 })).statusCode).toBe(401);
    expect((await call('PUT', '/billing', { acr: LOA2, auth_time: now() - 10 })).statusCode).toBe(200);
    expect((await call('GET', '/recent', { auth_time: now() - 5 })).statusCode).toBe(200);
    const old = await call('GET', '/recent', { auth_time: now() - 120 });
    expect(old.statusCode).toBe(401);
    expect(old.json()).toMatchObject({ code: 'step_up_required', max_age: 60 });
    expect(old.json()).not.toHaveProperty('acr_values');
    expect(handled).toBe(2);
  });

  it('57: any of several acr values passes; none of them, or an acr that is not a string, does not', async () => {
    expect((await call('GET', '/either', { acr: 'urn:other:strong' })).statusCode).toBe(200);
    const refused = await call('GET', '/either', { acr: ['urn:gatehouse:loa:2'] });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toContain(`acr_values="${LOA2} urn:other:strong"`);
  });

  it('57: the permission check still comes first: a caller without it gets 403, not a step-up', async () => {
    const response = await app.inject({
      method: 'PUT',
      url: '/billing',
      headers: { authorization: `Bearer ${await issuer.accessToken('dave', { acr: LOA1 })}` },
    });
    expect(response.statusCode).toBe(403);
  });

  it('refuses options that name nothing or are malformed when the route is defined', () => {
    for (const bad of [{}, { acr: '' }, { acr: 'tab\there' }, { maxAge: -1 }, { maxAge: 1.5 }, { acr: [] }])
      expect(() => requireAuthLevel(bad as never)).toThrow(
        expect.objectContaining({ code: 'GH_API_OPTIONS_INVALID' }),
      );
  });
});
