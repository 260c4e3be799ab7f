import { type IdentityContext, tenantPath } from '@gatehouse/policy';
import { API_HEADERS, describeWith, TestBrowser } from '@gatehouse/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeTenantOf } from '../src/session/tenant.js';
import { openEvents } from './support/events.js';
import { useTwoInstances } from './support/instances.js';
import { type Stack, signIn, startStack } from './support/stack.js';

/** Frank as a member of two organisations (the demo's frank has one), set at the IdP before he signs in. */
const TWO_TENANTS = [
  { id: 'globex', roles: ['member'] },
  { id: 'acme', roles: ['member'] },
];

const identityOf = async (browser: TestBrowser, url: string) =>
  (await browser.request(`${url}/auth/session`)).json<IdentityContext>();
const activeOf = async (browser: TestBrowser, url: string) => {
  const identity = await identityOf(browser, url);
  return identity.isAuthenticated ? identity.user.activeTenant : 'signed out';
};
const switchTo = (browser: TestBrowser, url: string, body: unknown, headers: Record<string, string> = {}) =>
  browser.request(`${url}${tenantPath}`, {
    method: 'POST',
    headers: { ...API_HEADERS, origin: url, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const streamOf = async (browser: TestBrowser, url: string) =>
  openEvents(`${url}/auth/events`, { ...API_HEADERS, cookie: await browser.jar.getCookieString(url) });

describe('activeTenantOf', () => {
  const user = (...ids: string[]) => ({
    id: 'u',
    displayName: 'U',
    roles: [],
    permissions: [],
    tenants: ids.map((id) => ({ id, roles: [], permissions: [] })),
  });
  it('is the chosen tenant while the user is a member, else the first, else none', () => {
    expect(activeTenantOf({ user: user('acme', 'globex'), activeTenant: 'globex' })).toBe('globex');
    expect(activeTenantOf({ user: user('acme', 'globex') })).toBe('acme');
    expect(activeTenantOf({ user: user('acme'), activeTenant: 'globex' })).toBe('acme');
    expect(activeTenantOf({ user: user(), activeTenant: 'globex' })).toBeUndefined();
  });
});

describe('POST /auth/tenant: the session’s active tenant', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    stack.idp.updateUser('frank', { tenants: TWO_TENANTS });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('starts at the user’s first tenant, switches without a new sign-in, and tells the session’s other tabs at once', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'frank');
    expect(await activeOf(browser, stack.bffUrl)).toBe('globex');
    const reader = await streamOf(browser, stack.bffUrl);
    const grants = stack.refreshGrants();
    const started = Date.now();
    const answer = await switchTo(browser, stack.bffUrl, { tenant: 'acme' });
    expect(answer.status).toBe(200);
    const identity = answer.json<IdentityContext>();
    expect(identity.isAuthenticated && identity.user.activeTenant).toBe('acme');
    expect(await reader.next()).toEqual({ type: 'identity-changed' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await activeOf(browser, stack.bffUrl)).toBe('acme');
    // No sign-in, no token request: the switch is the session's own state.
    expect(stack.refreshGrants()).toBe(grants);
    const [audit] = stack.logs.events('tenant_switch').slice(-1);
    expect(audit).toMatchObject({ sub: 'user_frank', from: 'globex', to: 'acme' });
    // Another session of the same user keeps its own active tenant.
    const other = new TestBrowser();
    await signIn(other, stack, 'frank');
    expect(await activeOf(other, stack.bffUrl)).toBe('globex');
  });

  it('refuses a tenant the user is not a member of (403), and changes nothing', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'frank');
    const answer = await switchTo(browser, stack.bffUrl, { tenant: 'initech' });
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.json()).toMatchObject({ code: 'forbidden', status: 403 });
    expect(await activeOf(browser, stack.bffUrl)).toBe('globex');
    expect(stack.logs.events('tenant_switch_refused').at(-1)).toMatchObject({ tenant: 'initech' });
  });

  it('refuses a cross-site request, a body that is not exactly { tenant }, and a caller without a session', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'frank');
    const noCsrf = await browser.request(`${stack.bffUrl}${tenantPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ tenant: 'acme' }),
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json()).toMatchObject({ code: 'csrf_failed' });
    for (const body of [{ tenant: 'acme', extra: 1 }, { tenant: '' }, {}, { tenant: 7 }, '{"tenant":']) {
      const answer = await switchTo(browser, stack.bffUrl, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'bad_request' });
    }
    const text = await switchTo(browser, stack.bffUrl, 'tenant=acme', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(await activeOf(browser, stack.bffUrl)).toBe('globex');
    const stranger = await switchTo(new TestBrowser(), stack.bffUrl, { tenant: 'acme' });
    expect(stranger.status).toBe(401);
    expect(stranger.json()).toMatchObject({ code: 'unauthenticated' });
  });
});

describe('the active tenant at a refresh that changes the memberships', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Access tokens of 3 s, refreshed 1 s before they expire: the issuer's word reaches the session quickly.
    stack = await startStack({
      ttl: { AccessToken: 3 },
      bff: (echo) => ({ refreshLeeway: 1, upstreams: { echo: { url: echo } } }),
    });
    stack.idp.updateUser('frank', { tenants: TWO_TENANTS });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('falls back to a tenant the user still has when the issuer takes the active one away, and tells the tabs', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'frank');
    expect((await switchTo(browser, stack.bffUrl, { tenant: 'acme' })).status).toBe(200);
    const reader = await streamOf(browser, stack.bffUrl);
    stack.idp.updateUser('frank', { tenants: [{ id: 'globex', roles: ['member'] }] });
    // The session keeps what its tokens say until the refresh.
    expect(await activeOf(browser, stack.bffUrl)).toBe('acme');
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect((await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(200);
    expect(await reader.next(3000)).toEqual({ type: 'identity-changed' });
    expect(await activeOf(browser, stack.bffUrl)).toBe('globex');
    expect((await switchTo(browser, stack.bffUrl, { tenant: 'acme' })).status).toBe(403);
  });
});

describe('tokens scoped to the active tenant (tenantTokenParameter, the dev IdP’s `organization`)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      bff: (echo) => ({ tenantTokenParameter: 'organization', upstreams: { echo: { url: echo } } }),
    });
    stack.idp.updateUser('frank', { tenants: TWO_TENANTS });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The `org_id` of the access token the upstream got with the last call. */
  const orgOfLastCall = () => {
    const authorization = stack.echo.seen.at(-1)?.headers.authorization ?? '';
    return decodeJwt(authorization.replace(/^(Bearer|DPoP) /, '')).org_id;
  };

  it('gives the upstream a token of the active tenant: the first tenant after sign-in, the new one after a switch', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'frank');
    const grants = stack.refreshGrants();
    expect((await browser.get(`${stack.bffUrl}/api/echo/a`, API_HEADERS)).status).toBe(200);
    // The code exchange could not name a tenant: the first call refreshed once, for the first tenant.
    expect(orgOfLastCall()).toBe('globex');
    expect(stack.refreshGrants()).toBe(grants + 1);
    expect((await browser.get(`${stack.bffUrl}/api/echo/b`, API_HEADERS)).status).toBe(200);
    expect(stack.refreshGrants()).toBe(grants + 1);

    expect((await switchTo(browser, stack.bffUrl, { tenant: 'acme' })).status).toBe(200);
    expect((await browser.get(`${stack.bffUrl}/api/echo/c`, API_HEADERS)).status).toBe(200);
    expect(orgOfLastCall()).toBe('acme');
    expect(stack.refreshGrants()).toBe(grants + 2);
    // Switching to the tenant already active costs nothing.
    expect((await switchTo(browser, stack.bffUrl, { tenant: 'acme' })).status).toBe(200);
    expect((await browser.get(`${stack.bffUrl}/api/echo/d`, API_HEADERS)).status).toBe(200);
    expect(stack.refreshGrants()).toBe(grants + 2);
  });

  it('asks for no tenant for a user who has none', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const grants = stack.refreshGrants();
    expect((await browser.get(`${stack.bffUrl}/api/echo/e`, API_HEADERS)).status).toBe(200);
    expect(orgOfLastCall()).toBeUndefined();
    expect(stack.refreshGrants()).toBe(grants);
  });
});

await describeWith(['redis'], 'switching tenant across instances (Redis store and pub/sub)', () => {
  const twoInstances = useTwoInstances();

  it('a switch on instance B reaches the tab streaming from instance A within a second, and A answers the new tenant', async () => {
    const { a, bUrl } = await twoInstances();
    a.idp.updateUser('frank', { tenants: TWO_TENANTS });
    const browser = new TestBrowser();
    await signIn(browser, a, 'frank');
    // A caches the identity: the switch on B must drop it there too.
    expect(await activeOf(browser, a.bffUrl)).toBe('globex');
    const reader = await streamOf(browser, a.bffUrl);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const cookie = await browser.jar.getCookieString(a.bffUrl);
    const started = Date.now();
    const answer = await browser.request(`${bUrl}${tenantPath}`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: a.bffUrl, cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme' }),
    });
    expect(answer.status).toBe(200);
    expect(await reader.next()).toEqual({ type: 'identity-changed' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await activeOf(browser, a.bffUrl)).toBe('acme');
  });
});
