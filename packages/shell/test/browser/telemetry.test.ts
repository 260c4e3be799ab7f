/// <reference types="node" />
import type { TelemetryEvent } from '@gatehouse/shell';
import { describeWith, findJwts } from '@gatehouse/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, expect, it } from 'vitest';
import { openShell, text, useShellBrowser, viewIn } from './harness.js';

/** `expect.poll` with room for a loaded two-core machine (its default gives up after 1 s). */
const poll = <T>(actual: () => T) => expect.poll(actual, { timeout: 10_000 });

const state = (page: Page) => page.evaluate(() => window.gatehouseTest.shell.auth.getState().status);
/** `time` is the moment `track` ran: only its form is stable. */
const TIME = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
/** What every event of the fixture shell carries. */
const event = (fields: Omit<TelemetryEvent, 'time' | 'shellVersion'>) => ({
  time: TIME,
  shellVersion: 'test-shell',
  ...fields,
});
const FIELDS = [
  'type',
  'time',
  'route',
  'remoteName',
  'shellVersion',
  'remoteVersion',
  'authState',
  'errorType',
  'permission',
  'userRoleGroup',
];

/**
 * The shell's telemetry in real flows, as the BFF receives it in `POST /telemetry` batches: `api_error` for a
 * remote's API call answered 403 or 401, `session_expired` and `logged_out` when the session ends (API, push
 * channel, another tab, logout). Route patterns, coarse fields, never a token or the session cookie. The
 * fixture page flushes after 100 ms (`telemetry: { flushMs: 100 }`), so polling the fake BFF is enough.
 */
await describeWith(['chromium'], 'shell: telemetry of real flows in Chromium', () => {
  /** Session cookies handed out in this file: none may reach telemetry. */
  const sids: string[] = [];
  const env = useShellBrowser();
  const { newContext, streamsOf } = env;
  const signIn = async (context: BrowserContext) => {
    const sid = await env.servers.bff.signIn(context, 'alice');
    sids.push(sid);
    return sid;
  };
  afterEach(async () => {
    await env.closeContexts();
    // Only the contract's fields, and nothing that looks like a credential.
    const all = JSON.stringify(env.servers.bff.telemetry);
    for (const e of env.servers.bff.telemetry)
      expect(Object.keys(e).filter((key) => !FIELDS.includes(key))).toEqual([]);
    expect(findJwts(all)).toEqual([]);
    expect(all).not.toMatch(/eyJ|bearer|token|secret|password|sid=/i);
    for (const sid of sids) expect(all).not.toContain(sid);
  });

  /** Events received since `from` of one of `types`, in the order they came. */
  const received = (from: number, ...types: string[]) =>
    env.servers.bff.telemetry.slice(from).filter((e) => types.includes(e.type));
  const SESSION_EVENTS = ['api_error', 'session_expired', 'logged_out', 'logged_in'];

  it('a remote’s API call answered 403: one api_error "403 forbidden" with the route pattern; the session goes on', async () => {
    const context = await newContext();
    await signIn(context);
    const from = env.servers.bff.telemetry.length;
    const page = await openShell(context, env.servers.bff.origin, '/account/order_456?tab=items');
    await poll(() => text(page)).toContain('account: Alice');
    await page.click('[data-action="load"]');
    await poll(() => text(page, '[data-gatehouse-remote="account"] output')).toBe('403 forbidden');
    await poll(() => received(from, ...SESSION_EVENTS)).toEqual([
      event({
        type: 'api_error',
        route: '/account/:id',
        authState: 'authenticated',
        userRoleGroup: 'customer',
        errorType: '403 forbidden',
      }),
    ]);
    expect(await state(page)).toBe('authenticated');
    expect(new URL(page.url()).pathname).toBe('/account/order_456');
  });

  it('an anonymous visitor’s API 401: api_error "401 unauthenticated", and no session_expired', async () => {
    const context = await newContext();
    const from = env.servers.bff.telemetry.length;
    const page = await openShell(context, env.servers.bff.origin, '/account/order_123');
    await poll(() => text(page)).toContain('account: guest');
    await page.click('[data-action="load"]');
    await poll(() => text(page, '[data-gatehouse-remote="account"] output')).toBe('401 unauthenticated');
    await poll(() => received(from, ...SESSION_EVENTS)).toEqual([
      event({
        type: 'api_error',
        route: '/account/:id',
        authState: 'anonymous',
        userRoleGroup: 'anonymous',
        errorType: '401 unauthenticated',
      }),
    ]);
    expect(await state(page)).toBe('anonymous');
  });

  it('an API 401 while signed in: session_expired then api_error "401 session_expired" in that tab, session_expired in the other, then login', async () => {
    const context = await newContext();
    const sid = await signIn(context);
    const a = await openShell(context, env.servers.bff.origin, '/account/order_123?tab=items');
    const b = await openShell(context, env.servers.bff.origin, '/');
    await poll(() => text(a)).toContain('account: Alice');
    await poll(() => text(b)).toBe('home: Alice');
    const from = env.servers.bff.telemetry.length;
    env.servers.bff.endSession(sid, false); // silently: only the API will tell
    await a.click('[data-action="load"]');
    await poll(() => state(b)).toBe('expired');
    await poll(() => a.url()).toBe(
      `${env.servers.bff.origin}/auth/login?returnTo=${encodeURIComponent('/account/order_123?tab=items')}`,
    );
    // By then the state was already `expired` in tab A: the 401 is what ended it.
    const ended = { authState: 'expired', userRoleGroup: 'anonymous' };
    await poll(() => received(from, ...SESSION_EVENTS).filter((e) => e.route === '/account/:id')).toEqual([
      event({ type: 'session_expired', route: '/account/:id', ...ended }),
      event({ type: 'api_error', route: '/account/:id', ...ended, errorType: '401 session_expired' }),
    ]);
    await poll(() => received(from, ...SESSION_EVENTS).filter((e) => e.route !== '/account/:id')).toEqual([
      event({ type: 'session_expired', route: '/', ...ended }),
    ]);
  });

  it('the BFF pushes session-expired: session_expired from the tab holding the stream and the one it relays to', async () => {
    const context = await newContext();
    const sid = await signIn(context);
    const a = await openShell(context, env.servers.bff.origin, '/orders/order_123');
    const b = await openShell(context, env.servers.bff.origin, '/account/order_123');
    await poll(() => streamsOf(sid)).toBe(1);
    const from = env.servers.bff.telemetry.length;
    env.servers.bff.endSession(sid, false);
    expect(env.servers.bff.push(sid, { type: 'session-expired' })).toBe(1);
    await poll(() => viewIn(a)).toBe('signed-out');
    await poll(() => text(b)).toContain('account: guest');
    const ended = { authState: 'expired', userRoleGroup: 'anonymous' };
    await poll(() =>
      received(from, ...SESSION_EVENTS).sort((x, y) => (x.route ?? '').localeCompare(y.route ?? '')),
    ).toEqual([
      event({ type: 'session_expired', route: '/account/:id', ...ended }),
      event({ type: 'session_expired', route: '/orders/:id', ...ended }),
    ]);
  });

  it('a back-channel logout pushed by the BFF: logged_out "backchannel_logout" from every tab', async () => {
    const context = await newContext();
    const sid = await signIn(context);
    const a = await openShell(context, env.servers.bff.origin, '/orders');
    const b = await openShell(context, env.servers.bff.origin, '/account/order_123');
    await poll(() => streamsOf(sid)).toBe(1);
    const from = env.servers.bff.telemetry.length;
    env.servers.bff.endSession(sid, false);
    expect(env.servers.bff.push(sid, { type: 'logged-out', reason: 'backchannel_logout' })).toBe(1);
    await poll(() => viewIn(a)).toBe('signed-out');
    await poll(() => text(b)).toContain('account: guest');
    const out = { type: 'logged_out', authState: 'logged-out', userRoleGroup: 'anonymous' };
    await poll(() =>
      received(from, ...SESSION_EVENTS).sort((x, y) => (x.route ?? '').localeCompare(y.route ?? '')),
    ).toEqual([
      event({ ...out, route: '/account/:id', errorType: 'backchannel_logout' }),
      event({ ...out, route: '/orders', errorType: 'backchannel_logout' }),
    ]);
  });

  it('logout in one tab: logged_out "user_action" from it (sent before it leaves the page) and from the other tab', async () => {
    const context = await newContext();
    await signIn(context);
    const a = await openShell(context, env.servers.bff.origin, '/account/order_123');
    const b = await openShell(context, env.servers.bff.origin, '/orders');
    await poll(() => text(a)).toContain('account: Alice');
    await poll(() => text(b)).toContain('Your orders');
    const from = env.servers.bff.telemetry.length;
    await a.evaluate(() => {
      void window.gatehouseTest.shell.logout();
    });
    await poll(() => a.url()).toBe(`${env.servers.bff.origin}/`);
    await poll(() => viewIn(b)).toBe('signed-out');
    const out = { type: 'logged_out', authState: 'logged-out', userRoleGroup: 'anonymous' };
    await poll(() =>
      received(from, ...SESSION_EVENTS).sort((x, y) => (x.route ?? '').localeCompare(y.route ?? '')),
    ).toEqual([
      event({ ...out, route: '/account/:id', errorType: 'user_action' }),
      event({ ...out, route: '/orders', errorType: 'user_action' }),
    ]);
  });
});
