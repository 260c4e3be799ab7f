import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/index.js';
import { buildShopService } from './fixtures/shop-service.js';
import { type demoClaims, startTestIssuer, type TestIssuer } from './fixtures/test-issuer.js';

// docs/security-requirements.md#g37 to #g41, one test each, and the IDOR/tenant cases of issue 3, through HTTP against the
// example service of docs/protect-a-domain-api.md.
let issuer: TestIssuer;
let app: FastifyInstance;
const audit = new MemoryAuditSink();

beforeAll(async () => {
  issuer = await startTestIssuer();
  app = await buildShopService({ issuer: issuer.issuer, audit, auditLog: () => audit.events });
});
afterAll(async () => {
  await app?.close();
  await issuer?.close();
});
beforeEach(() => audit.clear());

type User = keyof typeof demoClaims;
async function call(
  user: User,
  method: 'GET' | 'PATCH' | 'DELETE',
  url: string,
  extra: { body?: unknown; headers?: Record<string, string> } = {},
) {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${await issuer.accessToken(user)}`, ...extra.headers },
    ...(extra.body === undefined ? {} : { payload: extra.body as Record<string, unknown> }),
  });
}

describe('authorization (docs/security-requirements.md#g-authorization-in-the-apis)', () => {
  it('37: denies by default: hidden admin routes answer 403 to a signed-in customer', async () => {
    const response = await call('alice', 'GET', '/admin/users');
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual({
      type: 'urn:gatehouse:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      code: 'forbidden',
      detail: 'requires admin:access',
    });
    expect((await call('erin', 'GET', '/admin/users')).statusCode).toBe(200);
  });

  it("38: object-level checks (IDOR): bob reading alice's order → 403, a missing order → 404, carol → 200", async () => {
    expect((await call('alice', 'GET', '/orders/order_123')).statusCode).toBe(200);
    const bob = await call('bob', 'GET', '/orders/order_123');
    expect(bob.statusCode).toBe(403);
    expect(bob.json()).toMatchObject({ code: 'forbidden' });
    expect(bob.body).not.toContain('2499');
    const none = await call('bob', 'GET', '/orders/order_nope');
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ code: 'not_found', detail: 'No such order.' });
    const carol = await call('carol', 'GET', '/orders/order_123');
    expect(carol.statusCode).toBe(200);
    expect(carol.json()).toMatchObject({ id: 'order_123', ownerId: 'user_alice' });
    // The list is filtered by the same policy.
    expect((await call('bob', 'GET', '/orders')).json()).toEqual([
      expect.objectContaining({ id: 'order_456' }),
    ]);
    expect((await call('carol', 'GET', '/orders')).json()).toHaveLength(2);
  });

  it('39: the tenant comes from the token and the route, never from a header', async () => {
    expect((await call('frank', 'GET', '/org/acme/users')).statusCode).toBe(403);
    expect((await call('frank', 'GET', '/org/globex/users')).statusCode).toBe(200);
    const spoofed = await call('frank', 'GET', '/org/acme/users', { headers: { 'x-tenant-id': 'acme' } });
    expect(spoofed.statusCode).toBe(403);
    const ignored = await call('frank', 'GET', '/org/globex/users', { headers: { 'x-tenant-id': 'acme' } });
    expect(ignored.statusCode).toBe(200);
    expect(ignored.json()).toEqual([{ id: 'user_frank', name: 'Frank' }]);
    // erin: users:view, billing:edit and audit:view in acme only.
    expect((await call('erin', 'GET', '/org/acme/users')).statusCode).toBe(200);
    expect((await call('erin', 'GET', '/org/acme/audit-logs')).statusCode).toBe(200);
    expect((await call('erin', 'GET', '/org/globex/users')).statusCode).toBe(403);
    expect((await call('frank', 'GET', '/org/globex/billing')).statusCode).toBe(403);
    expect(
      (await call('frank', 'PATCH', '/org/globex/billing', { body: { email: 'x@globex.example' } }))
        .statusCode,
    ).toBe(403);
    const edit = await call('erin', 'PATCH', '/org/acme/billing', { body: { email: 'pay@acme.example' } });
    expect(edit.statusCode).toBe(200);
  });

  it('40: mass assignment: a profile PATCH setting roles, id, tenantId or ownerId → 400 naming the field', async () => {
    for (const field of ['roles', 'id', 'tenantId', 'ownerId', 'role']) {
      const response = await call('alice', 'PATCH', '/profile', {
        body: { displayName: 'Al', [field]: 'x' },
      });
      expect(response.statusCode, field).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'bad_request',
        status: 400,
        detail: `The field "${field}" cannot be set by this request.`,
      });
    }
    const unknown = await call('alice', 'PATCH', '/profile', { body: { displayName: 'Al', nickname: 'x' } });
    expect(unknown.json().detail).toBe('The field "nickname" cannot be set by this request.');
    const tenant = await call('erin', 'PATCH', '/org/acme/billing', {
      body: { email: 'a@acme.example', tenantId: 'globex' },
    });
    expect(tenant.statusCode).toBe(400);
    // Nothing was written by the refused requests.
    expect((await call('alice', 'GET', '/profile')).json()).toMatchObject({
      id: 'user_alice',
      displayName: 'user_alice',
    });
    const ok = await call('alice', 'PATCH', '/profile', { body: { displayName: 'Alice' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ id: 'user_alice', displayName: 'Alice', locale: 'en-IN' });
  });

  it('40: schema failures are 400 bad_request without a stack', async () => {
    const wrongType = await call('alice', 'PATCH', '/profile', { body: { displayName: { first: 'A' } } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({
      code: 'bad_request',
      detail: expect.stringMatching(/displayName/),
    });
    const empty = await call('alice', 'PATCH', '/profile', { body: {} });
    expect(empty.statusCode).toBe(400);
    const broken = await app.inject({
      method: 'PATCH',
      url: '/profile',
      headers: {
        authorization: `Bearer ${await issuer.accessToken('alice')}`,
        'content-type': 'application/json',
      },
      payload: '{"displayName": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'bad_request' });
    const proto = await app.inject({
      method: 'PATCH',
      url: '/profile',
      headers: {
        authorization: `Bearer ${await issuer.accessToken('alice')}`,
        'content-type': 'application/json',
      },
      payload: '{"displayName":"x","__proto__":{"roles":["admin"]}}',
    });
    expect(proto.statusCode).toBe(400);
    for (const response of [wrongType, empty, broken, proto])
      expect(response.body).not.toMatch(/\bat |node_modules|stack/);
  });

  it('41: needs a permission, not just a signed-in user (dave cannot place orders or edit profiles)', async () => {
    expect((await call('dave', 'PATCH', '/profile', { body: { displayName: 'D' } })).statusCode).toBe(403);
    expect((await call('dave', 'GET', '/orders')).statusCode).toBe(403);
  });

  it('answers unknown routes with a problem+json 404 and public routes without a token', async () => {
    const response = await call('alice', 'GET', '/nope');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found' });
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('the demo-user table of docs/protect-a-domain-api.md', () => {
  const table: [string, 'GET' | 'PATCH', string, unknown, Record<User, number>][] = [
    [
      'alice order',
      'GET',
      '/orders/order_123',
      undefined,
      { alice: 200, bob: 403, carol: 200, dave: 403, erin: 403, frank: 403 },
    ],
    [
      'missing order',
      'GET',
      '/orders/order_nope',
      undefined,
      { alice: 404, bob: 404, carol: 404, dave: 403, erin: 404, frank: 404 },
    ],
    [
      'admin',
      'GET',
      '/admin/users',
      undefined,
      { alice: 403, bob: 403, carol: 403, dave: 403, erin: 200, frank: 403 },
    ],
    [
      'acme users',
      'GET',
      '/org/acme/users',
      undefined,
      { alice: 403, bob: 403, carol: 403, dave: 403, erin: 200, frank: 403 },
    ],
    [
      'globex users',
      'GET',
      '/org/globex/users',
      undefined,
      { alice: 403, bob: 403, carol: 403, dave: 403, erin: 403, frank: 200 },
    ],
    [
      'profile roles',
      'PATCH',
      '/profile',
      { roles: ['admin'] },
      { alice: 400, bob: 400, carol: 403, dave: 403, erin: 400, frank: 400 },
    ],
  ];
  for (const [name, method, url, body, expected] of table) {
    it(name, async () => {
      const actual: Record<string, number> = {};
      for (const user of Object.keys(expected) as User[]) {
        actual[user] = (
          await call(user, method, url, { body, headers: { 'x-tenant-id': 'acme' } })
        ).statusCode;
      }
      expect(actual).toEqual(expected);
    });
  }
});

describe('audit events', () => {
  it('records sensitive actions with who, what, resource, tenant, outcome, UTC time and trace id', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await call('bob', 'GET', '/orders/order_123', { headers: { traceparent } });
    await call('carol', 'GET', '/orders/order_123');
    await call('erin', 'PATCH', '/org/acme/billing', { body: { email: 'pay@acme.example' } });
    const [denied, allowed, billing] = audit.events;
    expect(denied).toMatchObject({
      action: 'orders.read',
      outcome: 'denied',
      actor: { iss: issuer.issuer, sub: 'user_bob' },
      permission: 'orders:view',
      resource: { type: 'order', id: 'order_123' },
      reason: 'not_owner',
      status: 403,
      method: 'GET',
      route: '/orders/:id',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(denied?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(allowed).toMatchObject({
      action: 'orders.read',
      outcome: 'success',
      actor: { sub: 'user_carol' },
      status: 200,
    });
    expect(allowed?.traceId).toBeUndefined();
    expect(billing).toMatchObject({
      action: 'billing.update',
      outcome: 'success',
      tenant: 'acme',
      permission: 'billing:edit',
    });
  });

  it('records every authorization failure, even on routes without an audit name', async () => {
    await call('frank', 'GET', '/org/acme/users', { headers: { 'x-tenant-id': 'acme' } });
    expect(audit.events).toEqual([
      expect.objectContaining({
        action: 'authorize',
        outcome: 'denied',
        tenant: 'acme',
        reason: 'not_tenant_member',
      }),
    ]);
  });

  it("serves a tenant's audit log to its auditors only", async () => {
    await call('erin', 'PATCH', '/org/acme/billing', { body: { email: 'pay@acme.example' } });
    await call('frank', 'GET', '/org/globex/users');
    const log = await call('erin', 'GET', '/org/acme/audit-logs');
    expect(log.json()).toEqual([expect.objectContaining({ action: 'billing.update', tenant: 'acme' })]);
    expect((await call('frank', 'GET', '/org/globex/audit-logs')).statusCode).toBe(403);
  });

  it('keeps serving when the sink fails', async () => {
    const failing = await buildShopService({
      issuer: issuer.issuer,
      audit: {
        write: () => {
          throw new Error('disk full');
        },
      },
    });
    const response = await failing.inject({
      method: 'GET',
      url: '/orders/order_123',
      headers: { authorization: `Bearer ${await issuer.accessToken('alice')}` },
    });
    expect(response.statusCode).toBe(200);
    await failing.close();
  });
});
