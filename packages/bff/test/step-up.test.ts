import { devIdpAcr } from '@gatehouse/dev-idp';
import { stepUpChallenge } from '@gatehouse/policy';
import { API_HEADERS, signIn as signInAt, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const NEEDED = { acr_values: devIdpAcr.securityCode, max_age: 300 };
/** The echo upstream answering 401 with the RFC 9470 challenge an API sends for a weak sign-in. */
const guarded = () =>
  `${stack.bffUrl}/api/echo/billing?status=401&challenge=${encodeURIComponent(stepUpChallenge(NEEDED, 'shop'))}`;
const session = async (browser: TestBrowser) =>
  (await browser.request(`${stack.bffUrl}/auth/session`)).json<{
    session: { acr?: string; authTime?: number };
  }>().session;
const leave = (browser: TestBrowser, body: unknown, headers: Record<string, string> = API_HEADERS) =>
  browser.request(`${stack.bffUrl}/auth/pending`, { method: 'POST', headers, json: body });
const take = (browser: TestBrowser, remote: string) =>
  browser.request(`${stack.bffUrl}/auth/pending/${remote}`, { method: 'DELETE', headers: API_HEADERS });

describe('step-up (RFC 9470) through the BFF, against the real dev IdP', () => {
  it('turns an upstream’s insufficient_user_authentication into step_up_required; after the second factor the action comes back once, and a refusal that the new level meets is a 403, never a loop', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'erin', '/org');
    const before = await session(browser);
    expect(before).toMatchObject({ acr: devIdpAcr.password, authTime: expect.any(Number) });

    const refused = await browser.request(guarded(), { method: 'PATCH', headers: API_HEADERS, json: {} });
    expect(refused.status).toBe(401);
    expect(refused.header('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.header('www-authenticate')).toBeUndefined();
    expect(refused.header('x-upstream')).toBeUndefined();
    expect(refused.json()).toEqual({
      type: 'urn:gatehouse:problem:step_up_required',
      title: 'Stronger sign-in required',
      status: 401,
      code: 'step_up_required',
      detail: 'This needs a stronger or more recent sign-in.',
      ...NEEDED,
    });

    // The remote's unsent form waits at the BFF, bound to this session.
    expect(
      (await leave(browser, { remote: 'org', action: 'save-billing', data: { seats: 31 } })).status,
    ).toBe(204);

    // The re-authentication the shell starts: the dev IdP asks for the password and the security code again.
    const query = new URLSearchParams({ returnTo: '/org', acr_values: NEEDED.acr_values, max_age: '300' });
    const back = await signInAt(browser, stack.bffUrl, 'erin', {
      startPath: `/auth/login?${query}`,
      extraFields: { code: '123456' },
    });
    expect(back.pathname).toBe('/org');
    const after = await session(browser);
    expect(after.acr).toBe(devIdpAcr.securityCode);
    expect(after.authTime).toBeGreaterThanOrEqual(before.authTime as number);

    // Another remote cannot take it (204: nothing for it); the one that left it gets it, once.
    expect((await take(browser, 'checkout')).status).toBe(204);
    const taken = await take(browser, 'org');
    expect(taken.status).toBe(200);
    expect(taken.json()).toEqual({ remote: 'org', action: 'save-billing', data: { seats: 31 } });
    expect((await take(browser, 'org')).status).toBe(204);

    // The session now meets what the upstream asks: the same challenge again is a 403, not a second step-up.
    const again = await browser.request(guarded(), { method: 'PATCH', headers: API_HEADERS, json: {} });
    expect(again.status).toBe(403);
    expect(again.json()).toMatchObject({ code: 'forbidden' });
  });

  it('passes every other 401 on as it is (a plain invalid_token challenge is not a step-up)', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const challenge = encodeURIComponent('Bearer error="invalid_token"');
    const answer = await browser.request(`${stack.bffUrl}/api/echo/x?status=401&challenge=${challenge}`, {
      headers: API_HEADERS,
    });
    expect(answer.status).toBe(401);
    expect(answer.header('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(answer.header('x-upstream')).toBe('echo');
  });

  it('refuses a pending action without the CSRF header (403), without a session (401), too large (413) or malformed (400)', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const action = { remote: 'checkout', action: 'place-order', data: { items: 1 } };
    expect((await leave(browser, action, { 'content-type': 'application/json' })).status).toBe(403);
    expect((await leave(new TestBrowser(), action)).status).toBe(401);
    expect((await leave(browser, { ...action, data: 'x'.repeat(20_000) })).status).toBe(413);
    for (const bad of [
      { ...action, remote: '../admin' },
      { ...action, action: '' },
      { ...action, extra: true },
      { action: 'place-order' },
    ]) {
      const answer = await leave(browser, bad);
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'bad_request' });
    }
    expect((await take(browser, 'checkout')).status).toBe(204);
    expect((await take(new TestBrowser(), 'checkout')).status).toBe(401);
  });

  it('keeps a pending action to its session: another signed-in browser of the same user finds nothing', async () => {
    const mine = new TestBrowser();
    const other = new TestBrowser();
    await signIn(mine, stack, 'bob');
    await signIn(other, stack, 'bob');
    expect((await leave(mine, { remote: 'checkout', action: 'place-order', data: { n: 1 } })).status).toBe(
      204,
    );
    expect((await take(other, 'checkout')).status).toBe(204);
    expect((await take(mine, 'checkout')).json()).toMatchObject({ data: { n: 1 } });
  });
});
