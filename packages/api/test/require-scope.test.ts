import { demoRoleMaps } from '@gatehouse/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gatehouseApi, MemoryAuditSink, requirePermission, requireScope } from '../src/index.js';
import { AUDIENCE, startTestIssuer, type TestIssuer } from './fixtures/test-issuer.js';

// docs/security-requirements.md#g41 (enforce `scope`): requireScope on routes of a real service, with access tokens signed by
// the test issuer's RS256 key and verified against its discovery document and JWKS over real HTTP.
let issuer: TestIssuer;
let app: FastifyInstance;
const audit = new MemoryAuditSink();
let handled = 0;

beforeAll(async () => {
  issuer = await startTestIssuer();
  app = Fastify({ logger: false });
  await app.register(gatehouseApi, { issuer: issuer.issuer, audience: AUDIENCE, ...demoRoleMaps, audit });
  const ok = async () => {
    handled++;
    return { ok: true };
  };
  app.get('/orders', { preHandler: requireScope('orders.read') }, ok);
  app.get('/reports', { preHandler: app.gatehouse.requireScope('orders.read', 'reports.read') }, ok);
  app.get(
    '/orders/mine',
    { preHandler: [requireScope('orders.read'), requirePermission('orders:view')] },
    ok,
  );
  app.get('/feed', { preHandler: requireScope('orders.read'), config: { auth: 'optional' } }, ok);
});
afterAll(async () => {
  await app?.close();
  await issuer?.close();
});
beforeEach(() => {
  audit.clear();
  handled = 0;
});

async function call(url: string, claims: JWTPayload, user: 'alice' | 'dave' = 'alice') {
  return app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${await issuer.accessToken(user, claims)}` },
  });
}

describe('requireScope (docs/security-requirements.md#g41)', () => {
  it('41: a valid token without the scope → 403 insufficient_scope (RFC 6750 §3.1) as problem+json', async () => {
    const response = await call('/orders', { scope: 'openid profile' });
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      `Bearer realm="${AUDIENCE}", error="insufficient_scope"`,
    );
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({
      type: 'urn:gatehouse:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      code: 'forbidden',
      detail: 'The token lacks the scope orders.read.',
    });
    expect(handled).toBe(0);
    expect(audit.events).toEqual([
      expect.objectContaining({
        action: 'authorize',
        outcome: 'denied',
        status: 403,
        reason: 'GH_API_INSUFFICIENT_SCOPE',
        actor: { iss: issuer.issuer, sub: 'user_alice' },
        route: '/orders',
      }),
    ]);
  });

  it('41: the scope in the space-separated `scope` claim → 200', async () => {
    const response = await call('/orders', { scope: 'openid orders.read profile' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(handled).toBe(1);
    expect((await call('/orders', { scope: 'orders.read' })).statusCode).toBe(200);
  });

  it('41: the scope in an `scp` array claim → 200; an `scp` array without it → 403', async () => {
    expect((await call('/orders', { scope: undefined, scp: ['openid', 'orders.read'] })).statusCode).toBe(
      200,
    );
    const without = await call('/orders', { scope: undefined, scp: ['openid', 'profile'] });
    expect(without.statusCode).toBe(403);
    expect(without.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  it('41: matches whole scope tokens exactly: near misses and other claim shapes → 403', async () => {
    const nearMisses: JWTPayload[] = [
      { scope: undefined },
      { scope: '' },
      { scope: 'orders' },
      { scope: 'orders.rea' },
      { scope: 'orders.read.all' },
      { scope: 'xorders.read' },
      { scope: 'ORDERS.READ' },
      { scope: 'openid,orders.read' },
      { scope: 'openid\torders.read' },
      { scope: '"orders.read"' },
      // RFC 9068 §2.2.3: `scope` is a string; an array there is not read.
      { scope: ['orders.read'] },
      // When `scope` is present it is the one source: an extra `scp` does not add to it.
      { scope: 'openid', scp: ['orders.read'] },
      { scope: undefined, scp: 'orders.read' },
      { scope: undefined, scp: [['orders.read']] },
    ];
    for (const claims of nearMisses) {
      const response = await call('/orders', claims);
      expect(response.statusCode, JSON.stringify(claims)).toBe(403);
      expect(response.headers['www-authenticate'], JSON.stringify(claims)).toContain(
        'error="insufficient_scope"',
      );
    }
    expect(handled).toBe(0);
  });

  it('41: several scopes are all required, and the detail names the missing ones', async () => {
    const one = await call('/reports', { scope: 'openid orders.read' });
    expect(one.statusCode).toBe(403);
    expect(one.json()).toMatchObject({
      code: 'forbidden',
      detail: 'The token lacks the scope reports.read.',
    });
    const none = await call('/reports', { scope: 'openid' });
    expect(none.json()).toMatchObject({ detail: 'The token lacks the scope orders.read reports.read.' });
    expect((await call('/reports', { scope: 'reports.read orders.read' })).statusCode).toBe(200);
    expect(handled).toBe(1);
  });

  it('41: a scope does not stand in for a permission (dave has orders.read but not orders:view)', async () => {
    const dave = await call('/orders/mine', { scope: 'openid orders.read' }, 'dave');
    expect(dave.statusCode).toBe(403);
    expect(dave.headers['www-authenticate']).toBeUndefined();
    expect(dave.json()).toMatchObject({ code: 'forbidden', detail: 'requires orders:view' });
    // alice has the permission; without the scope she is still refused, with it she passes.
    expect((await call('/orders/mine', { scope: 'openid' })).statusCode).toBe(403);
    expect((await call('/orders/mine', { scope: 'openid orders.read' })).statusCode).toBe(200);
    expect(handled).toBe(1);
  });

  it('41: no token at all is a 401, not a scope refusal, even where the route lets anonymous calls through', async () => {
    for (const url of ['/orders', '/feed']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(401);
      expect(response.headers['www-authenticate'], url).toBe(`Bearer realm="${AUDIENCE}"`);
      expect(response.json()).toMatchObject({ code: 'unauthenticated' });
    }
    expect(handled).toBe(0);
  });

  it('refuses, when the route is defined, no scope at all or one that is not a scope token', () => {
    for (const scopes of [
      [],
      [''],
      ['orders read'],
      ['orders.read', 'a"b'],
      ['x\\y'],
      [undefined as unknown as string],
    ])
      expect(() => requireScope(...scopes), JSON.stringify(scopes)).toThrow(
        expect.objectContaining({ code: 'GH_API_OPTIONS_INVALID' }),
      );
    expect(() => requireScope('orders.read', 'urn:shop:orders')).not.toThrow();
  });
});
