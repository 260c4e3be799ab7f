// Signs in to a running BFF exactly as a browser does (and as packages/bff/test/support/stack.ts `signIn()`
// does): GET /auth/login → the IdP's real login form → POST login + password → redirects back through the
// BFF's /auth/callback. undici for HTTP (no Fetch Metadata of its own), tough-cookie for the cookie jar.
// The same browser signs in to Apache mod_auth_openidc (`startPath` a protected URL, `callbackPrefix` its
// redirect URI's folder, `cookieName` its session cookie): the protected URL redirects to the IdP, and the
// redirect URI back to it.
// @gatehouse/testing ships TypeScript source only, so its TestBrowser cannot be imported from plain node.
import { CookieJar } from 'tough-cookie';
import { Agent, request } from 'undici';

const NAVIGATION_HEADERS = {
  accept: 'text/html,application/xhtml+xml',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'none',
  'sec-fetch-dest': 'document',
};

/** Values of the hidden inputs and the action of the first `<form>` on an HTML page. */
function readForm(html, base) {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`sign-in: no form on the login page:\n${html.slice(0, 500)}`);
  const fields = {};
  for (const input of (form[2] ?? '').matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1];
    if (name && /type="hidden"/i.test(input[0])) fields[name] = (value ?? '').replaceAll('&amp;', '&');
  }
  return { action: new URL((form[1] ?? '').replaceAll('&amp;', '&'), base).href, fields };
}

/**
 * @typedef {object} SignInOptions
 * @property {string} [user] login and password at the dev IdP (default `alice`)
 * @property {string} [cookieName] the session cookie (default `__Host-Http-gatehouse`)
 * @property {string} [startPath] where the browser starts (default `/auth/login?returnTo=%2F`)
 * @property {string} [callbackPrefix] paths of the relying party's own sign-in routes; the first redirect to
 *   its origin outside them ends the sign-in (default `/auth/`)
 */

/**
 * Signs `user` in at the BFF and answers the session cookie as a `Cookie` header value.
 * @param {string} bffUrl the BFF's public URL, e.g. `http://localhost:4000`
 * @param {SignInOptions} [options]
 * @returns {Promise<string>} e.g. `__Host-Http-gatehouse=…`
 */
export async function signIn(bffUrl, options = {}) {
  const session = await signInSession(bffUrl, options);
  await session.close();
  return session.cookie;
}

/**
 * Signs `user` in and keeps the browser's cookie jar, so the same "browser" can later end its session at the
 * IdP (RP-initiated logout at the end-session endpoint, which makes the IdP send back-channel logout tokens).
 * @param {string} bffUrl
 * @param {SignInOptions} [options]
 * @returns {Promise<{ cookie: string, sessionId: string, endAtIdp: (issuer: string, clientId?: string) => Promise<number>, close: () => Promise<void> }>}
 *   `sessionId` is the server-side id (the cookie value before its signature); `endAtIdp` answers the time
 *   (ms since the epoch) it confirmed the logout at the IdP.
 */
export async function signInSession(bffUrl, options = {}) {
  const user = options.user ?? 'alice';
  const cookieName = options.cookieName ?? '__Host-Http-gatehouse';
  const startPath = options.startPath ?? '/auth/login?returnTo=%2F';
  const callbackPrefix = options.callbackPrefix ?? '/auth/';
  const jar = new CookieJar();
  const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
  const bffOrigin = new URL(bffUrl).origin;

  const send = async (url, init) => {
    const headers = { ...init.headers };
    const cookie = await jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    let body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const answer = await request(url, { method: body ? 'POST' : 'GET', headers, body, dispatcher });
    const text = await answer.body.text();
    for (const line of [].concat(answer.headers['set-cookie'] ?? [])) {
      await jar.setCookie(line, url, { ignoreError: true });
    }
    const location = answer.headers.location;
    return { status: answer.statusCode, text, location: Array.isArray(location) ? location[0] : location };
  };

  /** Follows redirects like a browser until an answer is not a redirect or `stop(location)`. */
  const follow = async (url, init, stop = () => false) => {
    let current = url;
    let next = { ...init, headers: { ...NAVIGATION_HEADERS, ...init.headers } };
    for (let hop = 0; hop < 20; hop++) {
      const answer = await send(current, next);
      if (answer.status < 300 || answer.status >= 400 || !answer.location) return { answer, url: current };
      const target = new URL(answer.location, current);
      if (stop(target)) return { answer, url: current, stoppedAt: target };
      const sameOrigin = new URL(current).origin === target.origin;
      current = target.href;
      next = {
        headers: { ...NAVIGATION_HEADERS, 'sec-fetch-site': sameOrigin ? 'same-origin' : 'cross-site' },
      };
    }
    throw new Error(`sign-in: too many redirects from ${url}`);
  };

  try {
    const start = await follow(`${bffOrigin}${startPath}`, {});
    if (start.answer.status !== 200) {
      throw new Error(
        `sign-in: login page answered ${start.answer.status} ${start.answer.text.slice(0, 300)}`,
      );
    }
    const form = readForm(start.answer.text, start.url);
    const done = await follow(
      form.action,
      { form: { ...form.fields, login: user, password: user }, headers: { 'sec-fetch-site': 'same-origin' } },
      (location) => location.origin === bffOrigin && !location.pathname.startsWith(callbackPrefix),
    );
    if (!done.stoppedAt) {
      throw new Error(`sign-in did not come back: ${done.answer.status} ${done.answer.text.slice(0, 300)}`);
    }
    const session = (await jar.getCookies(bffOrigin)).find((cookie) => cookie.key === cookieName);
    if (!session) throw new Error(`sign-in: no ${cookieName} cookie after the callback`);
    return {
      cookie: `${session.key}=${session.value}`,
      sessionId: session.value.split('.')[0],
      async endAtIdp(issuer, clientId = 'gatehouse-bff') {
        const end = new URL(`${issuer}/session/end`);
        end.searchParams.set('client_id', clientId);
        const page = await follow(end.href, {});
        if (page.answer.status !== 200)
          throw new Error(
            `end-session page answered ${page.answer.status}: ${page.answer.text.slice(0, 300)}`,
          );
        const confirm = readForm(page.answer.text, page.url);
        const sentAt = Date.now();
        const answer = await send(confirm.action, {
          form: { ...confirm.fields, logout: 'yes' },
          headers: { ...NAVIGATION_HEADERS, 'sec-fetch-site': 'same-origin' },
        });
        if (answer.status >= 400) throw new Error(`end-session confirm answered ${answer.status}`);
        return sentAt;
      },
      close: () => dispatcher.close(),
    };
  } catch (error) {
    await dispatcher.close();
    throw error;
  }
}
