import { API_HEADERS, NAVIGATION_HEADERS, readForm, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, type Stack, signIn, startStack } from './support/stack.js';

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('logs (SECURITY.md I 48–50)', () => {
  it('I48: after every flow, no token, session id, cookie or secret appears in any log line', async () => {
    const canaries = new Set<string>([SECRET, 'gatehouse-dev-secret']);
    const collect = async (browser: TestBrowser) => {
      for (const cookie of await browser.jar.getCookies(stack.bffUrl)) {
        if (!cookie.key.startsWith('__Host-Http-gatehouse')) continue;
        canaries.add(cookie.value);
        const id = cookie.value.split('.')[0] ?? '';
        canaries.add(id);
        const record = await stack.bff.runtime.store.get(id);
        if (record?.tokens.accessToken) canaries.add(record.tokens.accessToken);
        if (record?.tokens.refreshToken) canaries.add(record.tokens.refreshToken);
      }
    };
    // Login, API calls, a refresh, an API error, a CSRF refusal, a bad callback, logout, back-channel logout.
    const alice = new TestBrowser();
    await signIn(alice, stack, 'alice');
    await collect(alice);
    await alice.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    await alice.get(`${stack.bffUrl}/api/echo/x?status=403`, API_HEADERS);
    await sleep(2200);
    await alice.get(`${stack.bffUrl}/api/echo/refreshed`, API_HEADERS);
    await collect(alice);
    await alice.get(`${stack.bffUrl}/api/echo/x`, { 'sec-fetch-site': 'cross-site' });
    await alice.get(`${stack.bffUrl}/auth/callback?state=forged&code=x`, NAVIGATION_HEADERS);
    await alice.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });
    const bob = new TestBrowser();
    await signIn(bob, stack, 'bob');
    await collect(bob);
    const end = new URL(`${stack.idp.issuer}/session/end`);
    end.searchParams.set('client_id', 'gatehouse-bff');
    const confirm = await bob.follow(end.href);
    const delivered = new Promise((resolve) => stack.idp.provider.once('backchannel.success', resolve));
    const form = readForm(confirm.response.text, confirm.response.url);
    await bob.follow(form.action, { form: { ...form.fields, logout: 'yes' } }, () => true);
    await delivered;

    expect(canaries.size).toBeGreaterThan(6);
    const text = stack.logs.lines.join('\n');
    for (const canary of canaries) expect(text.includes(canary), `a secret value is in the logs`).toBe(false);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(text).not.toMatch(/Bearer /);
    // Every event the standards ask for is there, with a UTC timestamp.
    for (const event of [
      'login_success',
      'login_failure',
      'refresh_success',
      'session_end',
      'csrf_refused',
      'access_denied',
      'backchannel_logout',
    ]) {
      const entries = stack.logs.events(event);
      expect(entries.length, event).toBeGreaterThan(0);
      expect(entries[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it('I50: CR/LF in request data never splits a log line', async () => {
    const before = stack.logs.lines.length;
    const browser = new TestBrowser();
    await browser.get(`${stack.bffUrl}/api/echo/x%0d%0a{"event":"forged"}`, {
      'sec-fetch-site': 'cross-site',
    });
    await browser.get(`${stack.bffUrl}/auth/callback?state=a%0d%0ab&code=%0a`, NAVIGATION_HEADERS);
    for (const line of stack.logs.lines.slice(before)) expect(() => JSON.parse(line)).not.toThrow();
    expect(stack.logs.events('forged')).toEqual([]);
  });
});
