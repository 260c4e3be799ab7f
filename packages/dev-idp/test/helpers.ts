import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { freePort } from '@gatehouse/testing';
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyResult, jwtVerify } from 'jose';
import { CookieJar } from 'tough-cookie';
import { expect } from 'vitest';
import type { DevIdp, DevIdpClient } from '../src/index.js';

/** A browser stand-in: a cookie jar and redirects followed by hand, one hop at a time. */
export class Browser {
  readonly jar = new CookieJar();

  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      /** A raw body (with its own `content-type` header), instead of a form. */
      body?: string;
    } = {},
  ): Promise<Response> {
    const cookie = await this.jar.getCookieString(url);
    const headers: Record<string, string> = { ...init.headers, ...(cookie ? { cookie } : {}) };
    let body: string | undefined = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const setCookie of response.headers.getSetCookie()) {
      await this.jar.setCookie(setCookie, url, { ignoreError: true });
    }
    return response;
  }

  /**
   * Follows redirects as a browser would (a POST answered with 302/303 becomes a GET) until an answer is not a
   * redirect or the next location satisfies `stop`. Returns the last answer and its URL, or the stopping URL.
   */
  async navigate(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
    stop: (location: URL) => boolean = () => false,
  ): Promise<{ response: Response | undefined; url: string }> {
    let current = url;
    let next: typeof init | undefined = init;
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.request(current, next);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
      await response.arrayBuffer();
      const target = new URL(location, current);
      if (stop(target)) return { response: undefined, url: target.href };
      current = target.href;
      next = response.status === 307 || response.status === 308 ? next : {};
    }
    throw new Error('too many redirects');
  }
}

/** A PKCE pair (S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The first `<form>` whose action ends with `suffix`, as an absolute URL. */
export function formAction(html: string, base: string, suffix: string): string {
  for (const match of html.matchAll(/<form[^>]*action="([^"]+)"/g)) {
    const action = match[1]!.replaceAll('&amp;', '&');
    if (action.endsWith(suffix)) return new URL(action, base).href;
  }
  throw new Error(`no form ending in ${suffix} in:\n${html}`);
}

/** Hidden inputs of the page's forms (oidc-provider's logout form carries `xsrf`). */
export function hiddenInputs(html: string): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)) {
    inputs[match[1]!] = match[2]!;
  }
  return inputs;
}

export interface AuthorizationRequest {
  client: DevIdpClient;
  scope?: string;
  redirectUri?: string;
  extra?: Record<string, string>;
  withPkce?: boolean;
}

/** Builds an authorization request URL and the secrets the client keeps. */
export function authorizationUrl(idp: DevIdp, request: AuthorizationRequest) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const redirectUri = request.redirectUri ?? request.client.redirect_uris[0]!;
  const url = new URL('/auth', idp.issuer);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: request.client.client_id,
    redirect_uri: redirectUri,
    scope: request.scope ?? 'openid profile email offline_access',
    state,
    nonce,
    ...(request.withPkce === false ? {} : { code_challenge: challenge, code_challenge_method: 'S256' }),
    ...request.extra,
  }).toString();
  return { url: url.href, verifier, state, nonce, redirectUri };
}

const isAt = (origin: string) => (location: URL) => location.origin !== origin;

/**
 * Drives the whole browser side of a login: /auth → login page → POST the form → redirects → the client's
 * redirect URI. Returns the code and the request's secrets.
 */
export async function signIn(
  idp: DevIdp,
  request: AuthorizationRequest & { login?: string; password?: string; code?: string; browser?: Browser },
) {
  const browser = request.browser ?? new Browser();
  const auth = authorizationUrl(idp, request);
  const loginPage = await browser.navigate(auth.url, {}, isAt(idp.issuer));
  if (loginPage.response?.status !== 200 || !loginPage.response) {
    throw new Error(`expected the login page, got ${loginPage.response?.status} at ${loginPage.url}`);
  }
  const html = await loginPage.response.text();
  const login = request.login ?? 'alice';
  const done = await browser.navigate(
    formAction(html, loginPage.url, '/login'),
    {
      form: {
        login,
        password: request.password ?? login,
        ...(request.code === undefined ? {} : { code: request.code }),
      },
    },
    isAt(idp.issuer),
  );
  const callback = new URL(done.url);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code at ${done.url}`);
  expect(callback.searchParams.get('state')).toBe(auth.state);
  return { ...auth, code, callback, browser };
}

/** POSTs to the token endpoint with `client_secret_basic` (or nothing, or `client_secret_post`). */
export async function tokenRequest(
  idp: DevIdp,
  client: DevIdpClient | undefined,
  params: Record<string, string>,
  auth: 'basic' | 'post' | 'none' = 'basic',
  endpoint = '/token',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const form = new URLSearchParams(params);
  if (client && auth === 'basic') {
    const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else if (client && auth === 'post') {
    form.set('client_id', client.client_id);
    form.set('client_secret', client.client_secret ?? '');
  } else if (client) {
    form.set('client_id', client.client_id);
  }
  const response = await fetch(new URL(endpoint, idp.issuer), {
    method: 'POST',
    headers,
    body: form.toString(),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Revokes `refreshToken` at the revocation endpoint as `client` (and with it the grant). */
export function revokeRefreshToken(idp: DevIdp, client: DevIdpClient, refreshToken: string) {
  return tokenRequest(
    idp,
    client,
    { token: refreshToken, token_type_hint: 'refresh_token' },
    'basic',
    '/token/revocation',
  );
}

/** Exchanges a code from {@link signIn}. */
export function redeemCode(
  idp: DevIdp,
  client: DevIdpClient,
  flow: { code: string; verifier: string; redirectUri: string },
) {
  return tokenRequest(idp, client, {
    grant_type: 'authorization_code',
    code: flow.code,
    code_verifier: flow.verifier,
    redirect_uri: flow.redirectUri,
  });
}

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** Verifies a JWT against the IdP's JWKS, issuer and audience. */
export function verifyJwt(
  idp: DevIdp,
  token: unknown,
  audience: string,
  typ?: string,
): Promise<JWTVerifyResult<JWTPayload & Record<string, unknown>>> {
  let jwks = jwksCache.get(idp.issuer);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL('/jwks', idp.issuer));
    jwksCache.set(idp.issuer, jwks);
  }
  return jwtVerify(String(token), jwks, {
    issuer: idp.issuer,
    audience,
    algorithms: ['RS256', 'ES256'],
    ...(typ ? { typ } : {}),
  });
}

/** A tiny relying party that records what reaches it (back-channel logout receiver). */
export async function receiver(): Promise<{
  url: string;
  requests: { path: string; contentType: string | undefined; body: URLSearchParams }[];
  close(): Promise<void>;
}> {
  const requests: { path: string; contentType: string | undefined; body: URLSearchParams }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests.push({
      path: req.url ?? '',
      contentType: req.headers['content-type'],
      body: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
    });
    res.writeHead(200, { 'cache-control': 'no-store' });
    res.end();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
