import { demoRoleMaps } from '@gatehouse/testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatehouseApi, requirePermission } from '../src/index.js';
import { AUDIENCE, startTestIssuer, type TestIssuer } from './fixtures/test-issuer.js';

// The library ships no one's data: without a role map a valid token grants nothing, and the plugin says so
// at start-up (outside production), so a forgotten map is seen at once rather than as a wall of 403s.
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

async function service(options: Record<string, unknown>) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
  const app = Fastify({ logger: { level: 'info', stream } });
  await app.register(gatehouseApi, { issuer: issuer.issuer, audience: AUDIENCE, ...options });
  app.get('/orders', { preHandler: requirePermission('orders:view') }, async () => ({ ok: true }));
  await app.ready();
  return { app, warned: () => lines.filter((line) => line.event === 'no_role_map') };
}

describe('role map', () => {
  it('without one, grants nothing and warns once at start-up', async () => {
    const { app, warned } = await service({});
    const token = await issuer.accessToken('alice');
    const response = await app.inject({ url: '/orders', headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'forbidden', detail: 'requires orders:view' });
    expect(warned()).toHaveLength(1);
    await app.close();
  });

  it('with one, grants what it says and does not warn', async () => {
    const { app, warned } = await service(demoRoleMaps);
    const token = await issuer.accessToken('alice');
    const response = await app.inject({ url: '/orders', headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    expect(warned()).toHaveLength(0);
    await app.close();
  });
});
