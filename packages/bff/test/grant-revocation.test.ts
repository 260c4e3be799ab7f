// When a session ends while another of the same user goes on, the ended session's refresh token is revoked at
// the issuer only when the two cannot share a grant. The dev IdP (oidc-provider) keeps one grant per user,
// client and IdP session, and revoking a refresh token revokes its grant: a re-login or step-up in the same
// browser that revoked the replaced session's token ended the new session within seconds (seen in the shop's
// step-up journey). Against the real dev IdP and BFF.
import { shopServiceAudiences } from '@gatehouse/dev-idp';
import { API_HEADERS, TestBrowser } from '@gatehouse/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { BffOptions } from '../src/index.js';
import { type Stack, signIn, startStack } from './support/stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sessionIdOf = (cookie: string): string => /__Host-Http-gatehouse=([^.;]+)/.exec(cookie)?.[1] ?? '';

/** An upstream with a resource of its own: its first call needs a refresh-token grant at the IdP. */
const withOrders =
  (maxSessionsPerUser?: number) =>
  (echo: string): Partial<BffOptions> => ({
    upstreams: {
      echo: { url: echo },
      orders: { url: `${echo}/orders`, resource: shopServiceAudiences.orders },
    },
    ...(maxSessionsPerUser === undefined ? {} : { maxSessionsPerUser }),
  });

/** Is the refresh token still active at the IdP (RFC 7662 introspection, as the BFF's client)? */
async function active(stack: Stack, refreshToken: string): Promise<boolean> {
  const answer = await fetch(`${stack.idp.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('gatehouse-bff:gatehouse-dev-secret').toString('base64')}`,
    },
    body: new URLSearchParams({ token: refreshToken }),
  });
  return ((await answer.json()) as { active: boolean }).active;
}

/** `browser`'s session id and refresh token, as the BFF's store holds them. */
async function sessionOf(stack: Stack, browser: TestBrowser) {
  const id = sessionIdOf(await browser.jar.getCookieString(stack.bffUrl));
  const record = await stack.bff.runtime.store.get(id);
  return { id, refreshToken: record?.tokens.refreshToken ?? '' };
}

/** Polls `check` for up to 5 s; answers its last value. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

describe('revoking the refresh token of an ended session, without ending the session that stays', () => {
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const stack of stacks) await stack.close();
  });
  const stackWith = async (maxSessionsPerUser?: number) => {
    const stack = await startStack({ bff: withOrders(maxSessionsPerUser) });
    stacks.push(stack);
    return stack;
  };

  it('a new sign-in in the same browser (a step-up, a re-login) ends the old session and keeps the grant the new one uses', async () => {
    const stack = await stackWith();
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const before = await sessionOf(stack, browser);
    // The IdP remembers alice: the second sign-in is three GETs, in the same IdP session.
    await signIn(browser, stack, 'alice');
    const after = await sessionOf(stack, browser);
    expect(after.id).not.toBe(before.id);
    expect(await stack.bff.runtime.store.get(before.id)).toBeUndefined();
    expect(stack.logs.events('revoke_skipped')).toHaveLength(1);
    await sleep(300);
    // The new session's first call to `orders` redeems its refresh token for that audience: it works.
    expect(await active(stack, after.refreshToken)).toBe(true);
    const orders = await browser.get(`${stack.bffUrl}/api/orders/mine`, API_HEADERS);
    expect(orders.status).toBe(200);
    expect(stack.refreshGrants()).toBe(1);
  });

  it('a session pushed out by the per-user cap from another browser has its refresh token revoked; the new one lives', async () => {
    const stack = await stackWith(1);
    const first = new TestBrowser();
    await signIn(first, stack, 'alice');
    const old = await sessionOf(stack, first);
    const second = new TestBrowser();
    await signIn(second, stack, 'alice');
    const kept = await sessionOf(stack, second);
    expect(await stack.bff.runtime.store.get(old.id)).toBeUndefined();
    expect(await eventually(async () => !(await active(stack, old.refreshToken)))).toBe(true);
    expect(await active(stack, kept.refreshToken)).toBe(true);
    expect((await second.get(`${stack.bffUrl}/api/orders/mine`, API_HEADERS)).status).toBe(200);
  });

  it('signing out everywhere else revokes the other browsers’ refresh tokens and keeps the current session', async () => {
    const stack = await stackWith();
    const phone = new TestBrowser();
    await signIn(phone, stack, 'alice');
    const laptop = new TestBrowser();
    await signIn(laptop, stack, 'alice');
    const elsewhere = await sessionOf(stack, phone);
    const here = await sessionOf(stack, laptop);
    const ended = await laptop.request(`${stack.bffUrl}/auth/sessions/others`, {
      method: 'DELETE',
      headers: API_HEADERS,
    });
    expect(ended.json()).toEqual({ ended: 1 });
    expect(await eventually(async () => !(await active(stack, elsewhere.refreshToken)))).toBe(true);
    expect(await active(stack, here.refreshToken)).toBe(true);
    expect((await laptop.get(`${stack.bffUrl}/api/orders/mine`, API_HEADERS)).status).toBe(200);
    expect((await phone.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json()).toMatchObject({
      isAuthenticated: false,
    });
  });
});
