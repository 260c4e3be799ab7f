// A browser-like sign-in for the suites: `signIn()` of @gatehouse/testing (the relying party's start page, the
// dev IdP's real login form, the redirects back through its callback) in a TestBrowser of its own, whose
// undici agent is closed when the session is, and the session cookie it ends with.
import { endIdpSession, type SignInOptions, signIn, TestBrowser } from '@gatehouse/testing';
import { Agent } from 'undici';
import { SESSION_COOKIE } from './http.js';

/** A signed-in browser, kept so it can later end its session at the IdP. */
export interface BrowserSession {
  /** The session cookie as a `Cookie` header value, e.g. `__Host-Http-gatehouse=…`. */
  readonly cookie: string;
  /** The server-side id (the cookie value before its signature). */
  readonly sessionId: string;
  /**
   * RP-initiated logout at the IdP with the same cookies (the IdP then sends back-channel logout tokens);
   * answers when the confirmation was sent (ms since the epoch).
   */
  endAtIdp(issuer: string, clientId?: string): Promise<number>;
  close(): Promise<void>;
}

/** Options of {@link signInSession}: {@link SignInOptions} and the session cookie's name. */
export interface SessionOptions extends SignInOptions {
  /** Default `__Host-Http-gatehouse` (the BFF's). */
  readonly cookieName?: string;
}

/** Signs `user` in at `rpUrl` (a BFF by default) and keeps the browser. */
export async function signInSession(
  rpUrl: string,
  user: string,
  options: SessionOptions = {},
): Promise<BrowserSession> {
  const cookieName = options.cookieName ?? SESSION_COOKIE;
  const dispatcher = new Agent({ keepAliveTimeout: 1_000 });
  const browser = new TestBrowser({ dispatcher });
  try {
    await signIn(browser, rpUrl, user, options);
    const origin = new URL(rpUrl).origin;
    const session = (await browser.jar.getCookies(origin)).find((cookie) => cookie.key === cookieName);
    if (!session) throw new Error(`sign-in: no ${cookieName} cookie after the callback`);
    return {
      cookie: `${session.key}=${session.value}`,
      sessionId: session.value.split('.')[0] ?? '',
      endAtIdp: (issuer, clientId) => endIdpSession(browser, issuer, clientId),
      close: () => dispatcher.close(),
    };
  } catch (error) {
    await dispatcher.close();
    throw error;
  }
}

/** Signs `user` in and answers the session cookie as a `Cookie` header value. */
export async function signInCookie(
  rpUrl: string,
  user: string,
  options: SessionOptions = {},
): Promise<string> {
  const session = await signInSession(rpUrl, user, options);
  await session.close();
  return session.cookie;
}
