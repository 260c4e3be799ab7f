import { API_HEADERS, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvents } from './support/events.js';
import { type Stack, signIn, startStack } from './support/stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The real dev IdP (oidc-provider) with access tokens of 3 s, refreshed 1 s before they expire: roles the
// IdP changes reach the session at the next refresh, within one access-token life.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    ttl: { AccessToken: 3 },
    bff: (echo) => ({ refreshLeeway: 1, upstreams: { echo: { url: echo } } }),
  });
});
afterAll(async () => {
  await stack?.close();
});

const session = async (browser: TestBrowser) =>
  (await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json() as {
    user: { roles: string[]; permissions: string[]; tenants: unknown[] };
  };

describe('identity refreshed from the issuer at token refresh', () => {
  it('a role removed at the IdP leaves the session at the next refresh, and its open tabs are told by push', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'erin');
    const before = await session(browser);
    expect(before.user.roles).toEqual(['admin']);
    expect(before.user.permissions.length).toBeGreaterThan(0);
    const headers = { ...API_HEADERS, cookie: await browser.jar.getCookieString(stack.bffUrl) };
    const tab = await openEvents(`${stack.bffUrl}/auth/events`, headers);
    expect(tab.status).toBe(200);

    stack.idp.updateUser('erin', { roles: [], tenants: [] });
    // Nothing changes before the refresh: the session's identity is the one of the tokens it holds.
    expect((await session(browser)).user.roles).toEqual(['admin']);
    await sleep(2200);
    expect((await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(200);
    expect(stack.refreshGrants()).toBe(1);

    expect(await tab.next(3000)).toEqual({ type: 'identity-changed' });
    const after = await session(browser);
    expect(after.user.roles).toEqual([]);
    expect(after.user.permissions).toEqual([]);
    expect(after.user.tenants).toEqual([]);
    expect(stack.logs.events('identity_change').at(-1)).toMatchObject({
      rolesBefore: ['admin'],
      rolesAfter: [],
    });
    // The stream stays open: the session goes on, only who the user is changed.
    const ended = await Promise.race([tab.ended.then(() => true), sleep(300).then(() => false)]);
    expect(ended).toBe(false);
    tab.close();
  });

  it('a refresh that finds the same identity pushes nothing; a role granted at the IdP arrives the same way', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'bob');
    const headers = { ...API_HEADERS, cookie: await browser.jar.getCookieString(stack.bffUrl) };
    const tab = await openEvents(`${stack.bffUrl}/auth/events`, headers);
    const grants = stack.refreshGrants();
    await sleep(2200);
    await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    expect(stack.refreshGrants()).toBe(grants + 1);
    const bobChanges = () => stack.logs.events('identity_change').filter((line) => line.sub === 'user_bob');
    expect(bobChanges()).toHaveLength(0);

    stack.idp.updateUser('user_bob', { roles: ['customer', 'support'] });
    await sleep(2200);
    await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    // The first message the tab gets is this change's: the refresh before it sent none.
    expect(await tab.next(3000)).toEqual({ type: 'identity-changed' });
    expect(bobChanges()).toHaveLength(1);
    expect((await session(browser)).user.roles).toEqual(['customer', 'support']);
    tab.close();
  });
});
