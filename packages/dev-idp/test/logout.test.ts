import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bffClient, createDevIdp, type DevIdp, type DevIdpClient } from '../src/index.js';
import {
  authorizationUrl,
  Browser,
  formAction,
  hiddenInputs,
  receiver,
  redeemCode,
  signIn,
  tokenRequest,
  verifyJwt,
} from './helpers.js';

const leavesIdp = (idp: DevIdp) => (location: URL) => location.origin !== idp.issuer;

/** Opens the end-session page and clicks "Sign out" like a browser. */
async function signOut(idp: DevIdp, browser: Browser, params: Record<string, string>) {
  const url = new URL('/session/end', idp.issuer);
  url.search = new URLSearchParams(params).toString();
  const page = await browser.request(url.href);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toMatch(
    /<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out<\/button>/,
  );
  const action = formAction(html, url.href, '/session/end/confirm');
  return browser.navigate(action, { form: { ...hiddenInputs(html), logout: 'yes' } }, leavesIdp(idp));
}

describe('RP-initiated logout', () => {
  let idp: DevIdp;
  const client = bffClient({ baseUrl: 'http://localhost:4997' });

  beforeAll(async () => {
    idp = await createDevIdp({ port: 0, clients: [client] });
  });
  afterAll(() => idp.close());

  it('signs out with client_id and a registered post_logout_redirect_uri, without id_token_hint', async () => {
    const browser = new Browser();
    const flow = await signIn(idp, { client, browser });
    const { body } = await redeemCode(idp, client, flow);
    const done = await signOut(idp, browser, {
      client_id: client.client_id,
      post_logout_redirect_uri: client.post_logout_redirect_uris![0]!,
      state: 'st4te',
    });
    expect(done.url).toBe(`${client.post_logout_redirect_uris![0]}?state=st4te`);

    // the IdP session is gone: the next authorization request shows the login page again
    const again = await browser.navigate(authorizationUrl(idp, { client }).url, {}, leavesIdp(idp));
    expect(again.response?.status).toBe(200);
    expect(await again.response!.text()).toContain('name="password"');

    // and the refresh token bound to that session is dead
    const refreshed = await tokenRequest(idp, client, {
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
    });
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('takes the end-session request by POST with a valid id_token_hint: signed out without a question', async () => {
    const browser = new Browser();
    const flow = await signIn(idp, { client, browser });
    const { body } = await redeemCode(idp, client, flow);
    const response = await browser.request(new URL('/session/end', idp.issuer).href, {
      form: {
        id_token_hint: String(body.id_token),
        post_logout_redirect_uri: client.post_logout_redirect_uris![0]!,
      },
    });
    // The hint names the user: the page submits its own confirmation (its one nonced script), no question.
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/<input type="hidden" name="logout" value="yes"\/>/);
    const nonce = /<script nonce="([^"]+)">/.exec(html)?.[1];
    expect(response.headers.get('content-security-policy')).toContain(`script-src 'nonce-${nonce}'`);
    const confirm = /action="([^"]+)"/.exec(html)?.[1] as string;
    const fields = Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)].map((m) => [m[1], m[2]]),
    );
    const done = await browser.request(new URL(confirm, idp.issuer).href, { form: fields });
    expect(done.status).toBe(303);
    // The IdP session is gone: the next authorization shows the login page again.
    const again = await browser.navigate(authorizationUrl(idp, { client }).url, {}, leavesIdp(idp));
    expect(new URL(again.url).pathname).toMatch(/^\/interaction\//);
  });

  it('refuses an end-session POST that is not a form, or too large, with 400 and the session intact', async () => {
    const browser = new Browser();
    await signIn(idp, { client, browser });
    const url = new URL('/session/end', idp.issuer).href;
    const json = await browser.request(url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(400);
    const large = await browser.request(url, { form: { state: 'x'.repeat(70_000) } });
    expect(large.status).toBe(400);
    const again = await browser.navigate(authorizationUrl(idp, { client }).url, {}, leavesIdp(idp));
    expect(new URL(again.url).searchParams.get('code')).toBeTruthy();
  });

  it('keeps an offline refresh token (offline_access with prompt=consent) across IdP logout', async () => {
    const browser = new Browser();
    const flow = await signIn(idp, { client, browser, extra: { prompt: 'consent' } });
    const { body } = await redeemCode(idp, client, flow);
    expect(String(body.scope).split(' ')).toContain('offline_access');
    await signOut(idp, browser, { client_id: client.client_id });
    const refreshed = await tokenRequest(idp, client, {
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
    });
    expect(refreshed.status).toBe(200);
  });

  it('refuses an unregistered post_logout_redirect_uri without redirecting', async () => {
    const browser = new Browser();
    await signIn(idp, { client, browser });
    for (const uri of [
      'https://evil.example/',
      `${client.post_logout_redirect_uris![0]}evil`,
      'http://localhost:4997',
    ]) {
      const url = new URL('/session/end', idp.issuer);
      url.search = new URLSearchParams({
        client_id: client.client_id,
        post_logout_redirect_uri: uri,
      }).toString();
      const response = await browser.request(url.href);
      expect(response.status, uri).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      const html = await response.text();
      expect(html).toContain('post_logout_redirect_uri not registered');
      expect(html).not.toContain('op.logoutForm');
    }
  });

  it('shows a signed-out page when no post_logout_redirect_uri is given', async () => {
    const browser = new Browser();
    await signIn(idp, { client, browser });
    const done = await signOut(idp, browser, { client_id: client.client_id });
    expect(done.response?.status).toBe(200);
    expect(await done.response!.text()).toContain('You are signed out');
  });
});

describe('back-channel logout', () => {
  it('POSTs a logout token (typ logout+jwt, events, sid, no nonce) to the client when the user signs out', async () => {
    const rp = await receiver();
    const client: DevIdpClient = {
      ...bffClient({ baseUrl: rp.url }),
      backchannel_logout_uri: `${rp.url}/auth/backchannel-logout`,
    };
    const idp = await createDevIdp({ port: 0, clients: [client] });
    try {
      const browser = new Browser();
      const flow = await signIn(idp, { client, browser, login: 'frank' });
      const { body } = await redeemCode(idp, client, flow);
      const id = await verifyJwt(idp, body.id_token, client.client_id);

      await signOut(idp, browser, { client_id: client.client_id, post_logout_redirect_uri: `${rp.url}/` });

      expect(rp.requests).toHaveLength(1);
      const [request] = rp.requests;
      expect(request!.path).toBe('/auth/backchannel-logout');
      expect(request!.contentType).toBe('application/x-www-form-urlencoded');
      const logoutToken = request!.body.get('logout_token');
      expect(decodeProtectedHeader(String(logoutToken)).typ).toBe('logout+jwt');
      const verified = await verifyJwt(idp, logoutToken, client.client_id, 'logout+jwt');
      expect(verified.payload).toMatchObject({
        iss: idp.issuer,
        aud: client.client_id,
        sub: 'user_frank',
        sid: id.payload.sid,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      });
      expect(verified.payload).not.toHaveProperty('nonce');
      expect(typeof verified.payload.jti).toBe('string');
      expect(verified.payload.exp! - verified.payload.iat!).toBeLessThanOrEqual(120);
    } finally {
      await idp.close();
      await rp.close();
    }
  });
});
