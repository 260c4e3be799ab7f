import { endAnySessionsPermission, type RolePermissionMap, type SessionSummary } from '@gatehouse/policy';
import { API_HEADERS, demoRoleMaps, describeWith, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceOf } from '../src/device.js';
import { openEvents } from './support/events.js';
import { useTwoInstances } from './support/instances.js';
import { type Stack, signIn, startStack } from './support/stack.js';

/** The demo role maps, with the operator's permission to end anyone's sessions given to admins (erin). */
const roles: RolePermissionMap = {
  ...demoRoleMaps.roles,
  admin: [...(demoRoleMaps.roles.admin ?? []), endAnySessionsPermission],
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ bff: { roles } });
});
afterAll(async () => {
  await stack?.close();
});

const list = async (browser: TestBrowser, url = stack.bffUrl) =>
  (await browser.request(`${url}/auth/sessions`)).json<{ sessions: SessionSummary[] }>().sessions;
const end = (browser: TestBrowser, path: string, url = stack.bffUrl, headers = API_HEADERS) =>
  browser.request(`${url}${path}`, { method: 'DELETE', headers: { ...headers, origin: url } });
const streamOf = async (browser: TestBrowser, url = stack.bffUrl) =>
  openEvents(`${url}/auth/events`, { ...API_HEADERS, cookie: await browser.jar.getCookieString(url) });
const signedIn = async (browser: TestBrowser, url = stack.bffUrl) =>
  (await browser.request(`${url}/auth/session`)).json<{ isAuthenticated: boolean }>().isAuthenticated;

async function browsersOf(user: string, count: number): Promise<TestBrowser[]> {
  const browsers = Array.from({ length: count }, () => new TestBrowser());
  for (const browser of browsers) await signIn(browser, stack, user);
  return browsers;
}

describe('the user’s sessions: GET /auth/sessions, DELETE /auth/sessions/{handle} and /others', () => {
  it('lists the user’s sessions (device, times, which is this one) by handles that are no credential', async () => {
    const [mine, other] = await browsersOf('frank', 2);
    await signIn(new TestBrowser(), stack, 'bob');
    const sessions = await list(mine!);
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual(['createdAt', 'current', 'device', 'handle', 'lastSeenAt']);
      expect(session.handle).toMatch(/^[A-Za-z0-9_-]{12}$/);
      expect(Date.parse(session.createdAt)).toBeLessThanOrEqual(Date.parse(session.lastSeenAt));
      expect(session.device).toEqual(expect.any(String));
    }
    // No session id (or cookie value) anywhere in the answer; a handle as a cookie is no session.
    const text = JSON.stringify(sessions);
    for (const browser of [mine!, other!]) {
      const cookie = (await browser.jar.getCookies(stack.bffUrl)).find((c) => c.key.includes('gatehouse'));
      expect(text).not.toContain(cookie!.value.split('.')[0]);
    }
    const forged = await new TestBrowser().request(`${stack.bffUrl}/auth/session`, {
      headers: { cookie: `__Host-Http-gatehouse=${sessions[0]!.handle}` },
    });
    expect(forged.json()).toEqual({ isAuthenticated: false });
    expect((await new TestBrowser().request(`${stack.bffUrl}/auth/sessions`)).status).toBe(401);
  });

  it('ends one session by its handle: that session’s open tab hears it within a second; another user’s handle is 404', async () => {
    const [mine, other] = await browsersOf('dave', 2);
    const reader = await streamOf(other!);
    const target = (await list(mine!)).find((session) => !session.current)!;
    const started = Date.now();
    expect((await end(mine!, `/auth/sessions/${target.handle}`)).status).toBe(204);
    expect(await reader.next()).toEqual({ type: 'logged-out', reason: 'logout' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await signedIn(other!)).toBe(false);
    expect(await signedIn(mine!)).toBe(true);
    // bob cannot end dave's session, nor find out whether a handle exists.
    const [bob] = await browsersOf('bob', 1);
    const mineNow = (await list(mine!))[0]!;
    expect((await end(bob!, `/auth/sessions/${mineNow.handle}`)).status).toBe(404);
    expect(await signedIn(mine!)).toBe(true);
  });

  it('signs out everywhere else: every other session ends, this one stays', async () => {
    const [mine, second, third] = await browsersOf('carol', 3);
    const readers = [await streamOf(second!), await streamOf(third!)];
    const answer = await end(mine!, '/auth/sessions/others');
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ ended: 2 });
    for (const reader of readers)
      expect(await reader.next()).toEqual({ type: 'logged-out', reason: 'logout' });
    expect(await signedIn(second!)).toBe(false);
    expect(await signedIn(third!)).toBe(false);
    expect((await list(mine!)).map((session) => session.current)).toEqual([true]);
  });

  it('refuses a DELETE without the CSRF header (403) and a malformed handle (400), ending nothing', async () => {
    const [mine, other] = await browsersOf('alice', 2);
    const target = (await list(mine!)).find((session) => !session.current)!;
    const bare = await mine!.request(`${stack.bffUrl}/auth/sessions/${target.handle}`, { method: 'DELETE' });
    expect(bare.status).toBe(403);
    expect((await end(mine!, '/auth/sessions/short')).status).toBe(400);
    expect(await signedIn(other!)).toBe(true);
  });
});

describe('an operator ends every session of a user: DELETE /auth/admin/users/{sub}/sessions', () => {
  it(`needs ${endAnySessionsPermission}: erin (admin) ends bob's sessions, their tabs hear it; alice gets 403`, async () => {
    const bobs = await browsersOf('bob', 2);
    const reader = await streamOf(bobs[0]!);
    const [alice] = await browsersOf('alice', 1);
    const refused = await end(alice!, '/auth/admin/users/user_bob/sessions');
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'forbidden' });
    for (const browser of bobs) expect(await signedIn(browser)).toBe(true);

    const [erin] = await browsersOf('erin', 1);
    const started = Date.now();
    const answer = await end(erin!, '/auth/admin/users/user_bob/sessions');
    expect(answer.status).toBe(200);
    expect(answer.json<{ ended: number }>().ended).toBeGreaterThanOrEqual(2);
    expect(await reader.next()).toEqual({ type: 'logged-out', reason: 'logout' });
    expect(Date.now() - started).toBeLessThan(1000);
    for (const browser of bobs) expect(await signedIn(browser)).toBe(false);
    expect(await signedIn(erin!)).toBe(true);
  });
});

describe('deviceOf', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox on Linux'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Edge on Windows',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    ['curl/8.5.0', undefined],
    [undefined, undefined],
  ])('%s → %s', (agent, expected) => {
    expect(deviceOf(agent)).toBe(expected);
  });
});

await describeWith(['redis'], 'ending sessions across instances (Redis store and pub/sub)', () => {
  const twoInstances = useTwoInstances();

  it('a session ended on instance B reaches its tab streaming from instance A within a second', async () => {
    const { a, bUrl } = await twoInstances({ roles });
    const mine = new TestBrowser();
    const other = new TestBrowser();
    await signIn(mine, a, 'alice');
    await signIn(other, a, 'alice');
    const reader = await streamOf(other, a.bffUrl);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const cookie = await mine.jar.getCookieString(a.bffUrl);
    const listed = (await mine.request(`${bUrl}/auth/sessions`, { headers: { cookie } })).json<{
      sessions: SessionSummary[];
    }>().sessions;
    expect(listed).toHaveLength(2);
    const started = Date.now();
    const answer = await mine.request(`${bUrl}/auth/sessions/others`, {
      method: 'DELETE',
      headers: { ...API_HEADERS, origin: a.bffUrl, cookie },
    });
    expect(answer.json()).toEqual({ ended: 1 });
    expect(await reader.next()).toEqual({ type: 'logged-out', reason: 'logout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
