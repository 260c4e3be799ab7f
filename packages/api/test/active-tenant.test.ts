import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatehouseApi, MemoryAuditSink, requireTenantPermission } from '../src/index.js';
import { startTestIssuer, type TestIssuer } from './fixtures/test-issuer.js';

// An issuer that scopes access tokens to the user's active tenant (`org_id`): with `activeTenantClaim`, a
// tenant route acts only in that tenant, even for a member of several.
let issuer: TestIssuer;
let scoped: FastifyInstance;
let unscoped: FastifyInstance;
const audit = new MemoryAuditSink();
const twoTenants = {
  tenants: [
    { id: 'globex', roles: ['member'] },
    { id: 'acme', roles: ['member'] },
  ],
};

async function service(activeTenantClaim?: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(gatehouseApi, {
    issuer: issuer.issuer,
    audience: 'urn:gatehouse:shop',
    tenantRoles: { member: ['users:view'] },
    audit,
    ...(activeTenantClaim ? { activeTenantClaim } : {}),
  });
  app.get<{ Params: { tenant: string } }>(
    '/org/:tenant/users',
    { preHandler: requireTenantPermission('users:view') },
    async (request) => ({ tenant: request.tenant }),
  );
  return app;
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  scoped = await service('org_id');
  unscoped = await service();
});
afterAll(async () => {
  await scoped?.close();
  await unscoped?.close();
  await issuer?.close();
});

const get = async (app: FastifyInstance, url: string, claims: Record<string, unknown>) =>
  app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${await issuer.accessToken('frank', claims)}` },
  });

describe('activeTenantClaim: the API agrees with the tenant the user works in', () => {
  it('lets a token scoped to the route’s tenant through, and nothing else', async () => {
    const ok = await get(scoped, '/org/acme/users', { ...twoTenants, org_id: 'acme' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ tenant: 'acme' });
    // A member of globex too, but working in acme: globex is refused.
    const other = await get(scoped, '/org/globex/users', { ...twoTenants, org_id: 'acme' });
    expect(other.statusCode).toBe(403);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json()).toMatchObject({
      code: 'forbidden',
      detail: expect.stringMatching(/another organisation/),
    });
    expect(audit.events.at(-1)).toMatchObject({
      outcome: 'denied',
      reason: 'not_active_tenant',
      tenant: 'globex',
    });
    // A token that names no tenant, or a tenant in another type, acts in none.
    for (const claims of [twoTenants, { ...twoTenants, org_id: ['globex'] }]) {
      expect((await get(scoped, '/org/globex/users', claims)).statusCode).toBe(403);
    }
  });

  it('still needs the membership: a token scoped to a tenant the user is not a member of is refused', async () => {
    const answer = await get(scoped, '/org/initech/users', { ...twoTenants, org_id: 'initech' });
    expect(answer.statusCode).toBe(403);
    expect(audit.events.at(-1)).toMatchObject({ reason: 'not_tenant_member' });
  });

  it('without the option, any tenant the user is a member of (the claim is not read)', async () => {
    expect((await get(unscoped, '/org/globex/users', { ...twoTenants, org_id: 'acme' })).statusCode).toBe(
      200,
    );
    expect((await get(unscoped, '/org/acme/users', twoTenants)).statusCode).toBe(200);
  });
});
