import { API_HEADERS, NAVIGATION_HEADERS, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCsrf, checkResourceIsolation, isNavigation } from '../src/csrf.js';
import { openEvents } from './support/events.js';
import { type Stack, signIn, startStack } from './support/stack.js';

const origin = 'http://localhost:4000';

describe('checkCsrf: header × method matrix (docs/security-requirements.md#d26, #d29)', () => {
  const cases: Array<[string, string, Record<string, string>, boolean]> = [
    ['GET', 'same-origin with header', { 'x-csrf': '1', 'sec-fetch-site': 'same-origin' }, true],
    ['POST', 'same-origin with header', { 'x-csrf': '1', 'sec-fetch-site': 'same-origin', origin }, true],
    ['POST', 'no header', { 'sec-fetch-site': 'same-origin', origin }, false],
    ['GET', 'no header', { 'sec-fetch-site': 'same-origin' }, false],
    ['POST', 'header value not 1', { 'x-csrf': 'true', 'sec-fetch-site': 'same-origin', origin }, false],
    ['GET', 'cross-site', { 'x-csrf': '1', 'sec-fetch-site': 'cross-site' }, false],
    [
      'POST',
      'cross-site',
      { 'x-csrf': '1', 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      false,
    ],
    ['GET', 'same-site read', { 'x-csrf': '1', 'sec-fetch-site': 'same-site' }, true],
    [
      'POST',
      'same-site write',
      { 'x-csrf': '1', 'sec-fetch-site': 'same-site', origin: 'http://shop.localhost:4000' },
      false,
    ],
    ['DELETE', 'same-site write', { 'x-csrf': '1', 'sec-fetch-site': 'same-site' }, false],
    ['POST', 'user-initiated (none)', { 'x-csrf': '1', 'sec-fetch-site': 'none', origin }, true],
    ['POST', 'unknown fetch-site value', { 'x-csrf': '1', 'sec-fetch-site': 'bogus', origin }, false],
    ['POST', 'no metadata, exact origin', { 'x-csrf': '1', origin }, true],
    [
      'POST',
      'no metadata, spoofed origin suffix',
      { 'x-csrf': '1', origin: 'http://localhost:4000.evil.example' },
      false,
    ],
    ['POST', 'no metadata, other port', { 'x-csrf': '1', origin: 'http://localhost:4001' }, false],
    ['POST', 'no metadata, referer only', { 'x-csrf': '1', referer: `${origin}/cart` }, true],
    ['POST', 'no metadata, foreign referer', { 'x-csrf': '1', referer: 'https://evil.example/x' }, false],
    ['POST', 'no metadata, no origin, no referer', { 'x-csrf': '1' }, false],
    ['PATCH', 'no metadata, null origin', { 'x-csrf': '1', origin: 'null' }, false],
    ['GET', 'no metadata, read', { 'x-csrf': '1' }, true],
  ];
  it.each(cases)('%s %s → allowed=%s', (method, _label, headers, allowed) => {
    expect(checkCsrf(method, headers, origin) === undefined).toBe(allowed);
  });
});

describe('isNavigation', () => {
  it('uses Fetch Metadata first, Accept otherwise', () => {
    expect(isNavigation({ 'sec-fetch-mode': 'navigate' })).toBe(true);
    expect(isNavigation({ 'sec-fetch-mode': 'cors', accept: 'text/html' })).toBe(false);
    expect(isNavigation({ accept: 'text/html,application/xhtml+xml' })).toBe(true);
    expect(isNavigation({ accept: 'application/json' })).toBe(false);
  });
});

/** What a page of another site sends when it loads a URL with `fetch(url, { mode: 'no-cors' })`. */
const CROSS_SITE_NO_CORS = {
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  'sec-fetch-dest': 'empty',
};
const CROSS_SITE_NAVIGATION = { ...NAVIGATION_HEADERS, 'sec-fetch-site': 'cross-site' };

describe('checkResourceIsolation: who may load /auth/* (docs/security-requirements.md#d29)', () => {
  const cases: Array<[string, string, boolean, Record<string, string>]> = [
    ['GET', 'no metadata', true, {}],
    ['GET', 'same-origin fetch', true, { ...API_HEADERS }],
    ['GET', 'same-site fetch', true, { ...API_HEADERS, 'sec-fetch-site': 'same-site' }],
    ['GET', 'typed in the address bar', true, { ...NAVIGATION_HEADERS }],
    ['GET', 'cross-site navigation (link, redirect)', true, CROSS_SITE_NAVIGATION],
    ['HEAD', 'cross-site navigation', true, CROSS_SITE_NAVIGATION],
    ['GET', 'cross-site iframe', true, { ...CROSS_SITE_NAVIGATION, 'sec-fetch-dest': 'iframe' }],
    ['GET', 'cross-site <object>', false, { ...CROSS_SITE_NAVIGATION, 'sec-fetch-dest': 'object' }],
    ['GET', 'cross-site <embed>', false, { ...CROSS_SITE_NAVIGATION, 'sec-fetch-dest': 'embed' }],
    ['POST', 'cross-site form', false, CROSS_SITE_NAVIGATION],
    ['GET', 'cross-site fetch(no-cors)', false, CROSS_SITE_NO_CORS],
    ['GET', 'cross-site CORS fetch', false, { ...API_HEADERS, 'sec-fetch-site': 'cross-site' }],
    ['GET', 'cross-site <img>', false, { ...CROSS_SITE_NO_CORS, 'sec-fetch-dest': 'image' }],
    ['GET', 'cross-site <script>', false, { ...CROSS_SITE_NO_CORS, 'sec-fetch-dest': 'script' }],
    ['GET', 'cross-site without a mode', false, { 'sec-fetch-site': 'cross-site' }],
    ['GET', 'unknown fetch-site value', false, { ...CROSS_SITE_NO_CORS, 'sec-fetch-site': 'bogus' }],
  ];
  it.each(cases)('%s %s → allowed=%s', (method, _label, allowed, headers) => {
    expect(checkResourceIsolation(method, headers) === undefined).toBe(allowed);
  });
});

describe('/auth/* over real HTTP: other sites may navigate, never read (docs/security-requirements.md#d29)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses cross-site reads of /auth/session, /auth/events and /auth/login with 403 problem+json', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const cookie = await browser.jar.getCookieString(stack.bffUrl);
    for (const [path, dest] of [
      ['/auth/session', 'empty'],
      ['/auth/session', 'script'],
      ['/auth/login?returnTo=%2F', 'image'],
      ['/auth/nothing-here', 'empty'],
    ] as const) {
      const answer = await browser.get(`${stack.bffUrl}${path}`, {
        ...CROSS_SITE_NO_CORS,
        'sec-fetch-dest': dest,
      });
      expect(answer.status, `${path} as ${dest}`).toBe(403);
      expect(answer.header('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.json()).toMatchObject({ code: 'csrf_failed' });
      expect(answer.text).not.toMatch(/user_alice|isAuthenticated/);
    }
    const events = await openEvents(`${stack.bffUrl}/auth/events`, { ...CROSS_SITE_NO_CORS, cookie });
    expect(events.status).toBe(403);
    events.close();
    expect(stack.logs.events('csrf_refused').at(-1)).toMatchObject({ path: '/auth/events' });
    // The same session, read by its own pages and by clients without Fetch Metadata, as before.
    for (const headers of [API_HEADERS, { ...API_HEADERS, 'sec-fetch-site': 'same-site' }, {}]) {
      const answer = await browser.get(`${stack.bffUrl}/auth/session`, headers);
      expect(answer.json()).toMatchObject({ isAuthenticated: true });
    }
    const own = await openEvents(`${stack.bffUrl}/auth/events`, { ...API_HEADERS, cookie });
    expect(own.status).toBe(200);
    own.close();
  });

  it('lets other sites navigate to the login and the issuer redirect to the callback', async () => {
    const browser = new TestBrowser();
    const login = await browser.get(`${stack.bffUrl}/auth/login?returnTo=%2Forders`, CROSS_SITE_NAVIGATION);
    expect(login.status).toBe(302);
    // signIn follows the issuer's redirect to /auth/callback as a cross-site navigation.
    const landed = await signIn(browser, stack, 'bob', '/orders');
    expect(landed.pathname).toBe('/orders');
    expect(
      (await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json<{ isAuthenticated: boolean }>()
        .isAuthenticated,
    ).toBe(true);
  });
});
