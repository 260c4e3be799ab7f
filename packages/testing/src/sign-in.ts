import { readForm, type TestBrowser } from './browser.js';

/** Options of {@link signIn}. */
export interface SignInOptions {
  /** The password at the IdP's form (default: the user name, as for every dev IdP user). */
  readonly password?: string;
  /** Where the BFF sends the browser after the callback (default `/`); ignored with `startPath`. */
  readonly returnTo?: string;
  /**
   * Where the browser starts (default `/auth/login?returnTo=<returnTo>`). Another relying party starts at
   * one of its protected pages, which redirects to the IdP.
   */
  readonly startPath?: string;
  /**
   * Paths of the relying party's own sign-in routes (default `/auth/`, the BFF's): the first redirect to
   * its origin outside them ends the sign-in.
   */
  readonly callbackPrefix?: string;
  /** The names of the IdP form's login and password fields (default `login` and `password`, the dev IdP's). */
  readonly fields?: { readonly login: string; readonly password: string };
  /** More fields to fill in the IdP's form (the dev IdP's `code`, the security code of a stronger sign-in). */
  readonly extraFields?: Readonly<Record<string, string>>;
}

/**
 * Signs `user` in at the relying party at `rpUrl` (a BFF by default) the way a browser does: the start page
 * redirects to the dev IdP, whose real login form is posted with the user's login and password, and the
 * redirects lead back through the relying party's callback. The session cookie lands in `browser`'s jar.
 * Answers where the relying party sent the browser in the end (the `returnTo` location), without loading it;
 * when the IdP still has a session for the browser it answers at once, without its form.
 *
 * @example
 * const browser = new TestBrowser();
 * await signIn(browser, 'http://localhost:4000', 'alice');
 * // mod_auth_openidc: a protected page starts it, its redirect URI's folder is the callback
 * await signIn(browser, apacheUrl, 'alice', { startPath: '/api/item', callbackPrefix: '/oidc/callback' });
 */
export async function signIn(
  browser: TestBrowser,
  rpUrl: string,
  user: string,
  options: SignInOptions = {},
): Promise<URL> {
  const origin = new URL(rpUrl).origin;
  const callbackPrefix = options.callbackPrefix ?? '/auth/';
  const back = (location: URL) => location.origin === origin && !location.pathname.startsWith(callbackPrefix);
  const startPath =
    options.startPath ?? `/auth/login?returnTo=${encodeURIComponent(options.returnTo ?? '/')}`;
  const start = await browser.follow(`${origin}${startPath}`, {}, back);
  if (start.stoppedAt) return start.stoppedAt;
  if (start.response.status !== 200)
    throw new Error(`sign-in: the login page answered ${describe(start.response)}`);
  const form = readForm(start.response.text, start.response.url);
  const password = options.password ?? user;
  const names = options.fields ?? { login: 'login', password: 'password' };
  const done = await browser.follow(
    form.action,
    {
      form: { ...form.fields, ...options.extraFields, [names.login]: user, [names.password]: password },
      headers: { 'sec-fetch-site': 'same-origin' },
    },
    back,
  );
  if (!done.stoppedAt) throw new Error(`sign-in of ${user} did not come back: ${describe(done.response)}`);
  return done.stoppedAt;
}

/**
 * Ends the browser's session at the dev IdP as its user would (RP-initiated logout): opens the IdP's
 * end-session page for `clientId` and confirms it, which makes the IdP send back-channel logout tokens to
 * the clients of that session. Answers when the confirmation was sent (ms since the epoch).
 *
 * @example
 * const sentAt = await endIdpSession(browser, idp.issuer);
 */
export async function endIdpSession(
  browser: TestBrowser,
  issuer: string,
  clientId = 'gatehouse-bff',
): Promise<number> {
  const end = new URL(`${issuer}/session/end`);
  end.searchParams.set('client_id', clientId);
  const page = await browser.follow(end.href);
  if (page.response.status !== 200)
    throw new Error(`end-session: the IdP's page answered ${describe(page.response)}`);
  const confirm = readForm(page.response.text, page.response.url);
  const sentAt = Date.now();
  const done = await browser.follow(
    confirm.action,
    { form: { ...confirm.fields, logout: 'yes' }, headers: { 'sec-fetch-site': 'same-origin' } },
    () => true,
  );
  if (done.response.status >= 400)
    throw new Error(`end-session: the confirmation answered ${describe(done.response)}`);
  return sentAt;
}

const describe = (response: { status: number; text: string }) =>
  `${response.status} ${response.text.slice(0, 300)}`;
