import { freePort } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bffClient,
  createDevIdp,
  type DevIdp,
  type DevIdpClient,
  demoUsers,
  devIdpAcr,
} from '../src/index.js';
import {
  authorizationUrl,
  Browser,
  formAction,
  redeemCode,
  signIn,
  tokenRequest,
  verifyJwt,
} from './helpers.js';

/** The `claims` request parameter asking for `amr` and `auth_time` in the ID token. */
const AMR = JSON.stringify({ id_token: { amr: null, auth_time: null } });

describe('authorization code flow', () => {
  let idp: DevIdp;
  let bffPort: number;
  let client: ReturnType<typeof bffClient>;

  beforeAll(async () => {
    bffPort = await freePort();
    client = bffClient({ baseUrl: `http://localhost:${bffPort}` });
    idp = await createDevIdp({ port: 0, clients: [client] });
  });
  afterAll(() => idp.close());

  it('shows a login form with login and password fields and the demo users', async () => {
    const browser = new Browser();
    const { url } = authorizationUrl(idp, { client });
    const page = await browser.navigate(url, {}, (location) => location.origin !== idp.issuer);
    expect(page.response?.status).toBe(200);
    expect(page.url).toMatch(new RegExp(`^${idp.issuer}/interaction/[\\w-]+$`));
    expect(page.response?.headers.get('content-type')).toContain('text/html');
    expect(page.response?.headers.get('cache-control')).toBe('no-store');
    expect(page.response?.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.response!.text();
    expect(html).toContain('<title>Gatehouse dev identity provider</title>');
    expect(html).toMatch(/<input[^>]*name="login"/);
    expect(html).toMatch(
      /<input[^>]*name="password"[^>]*type="password"|<input[^>]*type="password"[^>]*name="password"/,
    );
    expect(html).toMatch(/<button type="submit">Sign in<\/button>/);
    expect(demoUsers).toHaveLength(7);
    for (const user of demoUsers) expect(html).toContain(`<code>${user.login}</code>`);
  });

  it('signs alice in over real HTTP and issues a verified ID token and a JWT access token', async () => {
    const flow = await signIn(idp, { client, login: 'alice' });
    expect(flow.callback.origin + flow.callback.pathname).toBe(client.redirect_uris[0]);
    expect(flow.callback.searchParams.get('iss')).toBe(idp.issuer);

    const { status, body } = await redeemCode(idp, client, flow);
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(300);
    expect(typeof body.refresh_token).toBe('string');

    const id = await verifyJwt(idp, body.id_token, client.client_id);
    expect(id.protectedHeader.alg).toBe('RS256');
    expect(id.payload).toMatchObject({
      iss: idp.issuer,
      aud: client.client_id,
      sub: 'user_alice',
      name: 'Alice',
      email: 'alice@example.com',
      email_verified: true,
      roles: ['customer'],
      tenants: [],
      locale: 'en-IN',
      currency: 'INR',
      nonce: flow.nonce,
    });
    expect(typeof id.payload.sid).toBe('string');

    const at = await verifyJwt(idp, body.access_token, 'urn:gatehouse:shop', 'at+jwt');
    expect(at.protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(at.payload).toMatchObject({
      iss: idp.issuer,
      aud: 'urn:gatehouse:shop',
      sub: 'user_alice',
      client_id: client.client_id,
      roles: ['customer'],
      tenants: [],
    });
    expect(at.payload.exp! - at.payload.iat!).toBe(300);
  });

  it('puts erin and frank tenants in both tokens', async () => {
    for (const [login, tenants, roles] of [
      ['erin', [{ id: 'acme', roles: ['org_admin'] }], ['admin']],
      ['frank', [{ id: 'globex', roles: ['member'] }], ['customer']],
    ] as const) {
      const flow = await signIn(idp, { client, login });
      const { body } = await redeemCode(idp, client, flow);
      const id = await verifyJwt(idp, body.id_token, client.client_id);
      const at = await verifyJwt(idp, body.access_token, 'urn:gatehouse:shop', 'at+jwt');
      expect(id.payload).toMatchObject({ sub: `user_${login}`, tenants, roles });
      expect(at.payload).toMatchObject({ sub: `user_${login}`, tenants, roles });
    }
  });

  it('accepts client_secret_post as well', async () => {
    const flow = await signIn(idp, { client, login: 'bob' });
    const { status, body } = await tokenRequest(
      idp,
      client,
      {
        grant_type: 'authorization_code',
        code: flow.code,
        code_verifier: flow.verifier,
        redirect_uri: flow.redirectUri,
      },
      'post',
    );
    expect(status).toBe(200);
    expect((await verifyJwt(idp, body.id_token, client.client_id)).payload.sub).toBe('user_bob');
  });

  it('shows an error for a wrong password and does not redirect', async () => {
    const browser = new Browser();
    const { url } = authorizationUrl(idp, { client });
    const page = await browser.navigate(url, {}, (location) => location.origin !== idp.issuer);
    const action = formAction(await page.response!.text(), page.url, '/login');
    const response = await browser.request(action, { form: { login: 'alice', password: 'bob' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(html).toContain('Wrong user name, password or security code.');
    expect(html).toContain('value="alice"');
    // the form still works afterwards
    const retry = await browser.navigate(
      action,
      { form: { login: 'alice', password: 'alice' } },
      (location) => location.origin !== idp.issuer,
    );
    expect(new URL(retry.url).searchParams.get('code')).toBeTruthy();
  });

  it('refuses an unknown user the same way, and escapes what was typed', async () => {
    const browser = new Browser();
    const { url } = authorizationUrl(idp, { client });
    const page = await browser.navigate(url, {}, (location) => location.origin !== idp.issuer);
    const action = formAction(await page.response!.text(), page.url, '/login');
    const response = await browser.request(action, {
      form: { login: '"><script>x</script>', password: 'x' },
    });
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('Wrong user name, password or security code.');
    expect(html).not.toContain('<script>x</script>');
  });

  it('refuses a login POST without the interaction cookie (another browser)', async () => {
    const { url } = authorizationUrl(idp, { client });
    const browser = new Browser();
    const page = await browser.navigate(url, {}, (location) => location.origin !== idp.issuer);
    const action = formAction(await page.response!.text(), page.url, '/login');
    const response = await new Browser().request(action, { form: { login: 'alice', password: 'alice' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(html).toContain('invalid_request');
    expect(html).not.toMatch(/\bat \S+:\d+:\d+/);
  });

  it('sends access_denied to the client when the user cancels', async () => {
    const browser = new Browser();
    const auth = authorizationUrl(idp, { client });
    const page = await browser.navigate(auth.url, {}, (location) => location.origin !== idp.issuer);
    const action = formAction(await page.response!.text(), page.url, '/abort');
    const done = await browser.navigate(action, { form: {} }, (location) => location.origin !== idp.issuer);
    const callback = new URL(done.url);
    expect(callback.origin + callback.pathname).toBe(client.redirect_uris[0]);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(auth.state);
  });

  it('skips the login page while the IdP session lives (SSO), with no consent screen', async () => {
    const browser = new Browser();
    await signIn(idp, { client, browser, login: 'carol' });
    const auth = authorizationUrl(idp, { client });
    const done = await browser.navigate(auth.url, {}, (location) => location.origin !== idp.issuer);
    const code = new URL(done.url).searchParams.get('code');
    expect(code).toBeTruthy();
    const { body } = await redeemCode(idp, client, { ...auth, code: code! });
    expect((await verifyJwt(idp, body.id_token, client.client_id)).payload.sub).toBe('user_carol');
  });

  it('signs in with acr loa:1 by password and loa:2 with the security code, and lists both in discovery', async () => {
    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
      acr_values_supported?: string[];
    };
    expect(discovery.acr_values_supported).toEqual([devIdpAcr.password, devIdpAcr.securityCode]);
    // Every ID token carries `acr` and `auth_time`; `amr` when the `claims` parameter asks for it.
    const extra = { acr_values: `${devIdpAcr.securityCode} ${devIdpAcr.password}`, claims: AMR };
    const weak = await signIn(idp, { client, login: 'dave', extra });
    const weakId = await verifyJwt(
      idp,
      (await redeemCode(idp, client, weak)).body.id_token,
      client.client_id,
    );
    expect(weakId.payload).toMatchObject({ acr: devIdpAcr.password, amr: ['pwd'] });
    expect(typeof weakId.payload.auth_time).toBe('number');
    const strong = await signIn(idp, { client, login: 'dave', code: '123456', extra });
    const strongId = await verifyJwt(
      idp,
      (await redeemCode(idp, client, strong)).body.id_token,
      client.client_id,
    );
    expect(strongId.payload).toMatchObject({ acr: devIdpAcr.securityCode, amr: ['pwd', 'otp'] });
  });

  it('refuses a wrong security code like a wrong password', async () => {
    const browser = new Browser();
    const { url } = authorizationUrl(idp, { client });
    const page = await browser.navigate(url, {}, (location) => location.origin !== idp.issuer);
    const action = formAction(await page.response!.text(), page.url, '/login');
    const response = await browser.request(action, {
      form: { login: 'dave', password: 'dave', code: '654321' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('Wrong user name, password or security code.');
  });

  it('asks again when acr_values names a class the session does not have, not when it does', async () => {
    const browser = new Browser();
    await signIn(idp, { client, browser, login: 'carol' });
    const stepUp = authorizationUrl(idp, { client, extra: { acr_values: devIdpAcr.securityCode } });
    const asked = await browser.navigate(stepUp.url, {}, (location) => location.origin !== idp.issuer);
    expect(asked.response?.status).toBe(200);
    expect(await asked.response!.text()).toMatch(/name="code"/);
    const same = authorizationUrl(idp, { client, extra: { acr_values: devIdpAcr.password } });
    const done = await browser.navigate(same.url, {}, (location) => location.origin !== idp.issuer);
    expect(new URL(done.url).searchParams.get('code')).toBeTruthy();
  });

  it('requires PKCE: a request without code_challenge is refused', async () => {
    const browser = new Browser();
    const auth = authorizationUrl(idp, { client, withPkce: false });
    const done = await browser.navigate(auth.url, {}, (location) => location.origin !== idp.issuer);
    const callback = new URL(done.url);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('refuses code_challenge_method=plain', async () => {
    const browser = new Browser();
    const auth = authorizationUrl(idp, { client, extra: { code_challenge_method: 'plain' } });
    const done = await browser.navigate(auth.url, {}, (location) => location.origin !== idp.issuer);
    expect(new URL(done.url).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a wrong code_verifier', async () => {
    const flow = await signIn(idp, { client });
    const { status, body } = await redeemCode(idp, client, { ...flow, verifier: 'x'.repeat(43) });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('rejects redirect_uri variants without redirecting to them (SECURITY 17)', async () => {
    const registered = client.redirect_uris[0]!;
    const variants = [
      `${registered}?next=/evil`,
      `${registered}/`,
      `${registered}#x`,
      registered.replace(`:${bffPort}`, `:${bffPort + 1}`),
      registered.replace('http:', 'https:'),
      registered.replace('/auth/callback', '/auth/callback/../../evil'),
      registered.replace('/auth/callback', '/auth/%2e%2e/callback'),
      registered.replace('localhost', '127.0.0.1'),
      registered.toUpperCase(),
      'https://evil.example/auth/callback',
    ];
    for (const redirectUri of variants) {
      const browser = new Browser();
      const auth = authorizationUrl(idp, { client, redirectUri });
      const response = await browser.request(auth.url);
      expect(response.status, redirectUri).toBe(400);
      expect(response.headers.get('location'), redirectUri).toBeNull();
      const html = await response.text();
      expect(html).toContain('invalid_redirect_uri');
      expect(html).toContain('<title>Gatehouse dev identity provider</title>');
      expect(html).not.toMatch(/\bat \S+:\d+:\d+/);
    }
  });

  it('refuses to redeem a code without client authentication (SECURITY 11)', async () => {
    const flow = await signIn(idp, { client });
    const params = {
      grant_type: 'authorization_code',
      code: flow.code,
      code_verifier: flow.verifier,
      redirect_uri: flow.redirectUri,
    };
    const anonymous = await tokenRequest(idp, client, params, 'none');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    const wrongSecret = await tokenRequest(idp, { ...client, client_secret: 'nope' }, params);
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
  });

  it('redeems a code once only and with the same redirect_uri', async () => {
    const flow = await signIn(idp, { client });
    const other = await redeemCode(idp, client, { ...flow, redirectUri: `${flow.redirectUri}x` });
    expect(other.body.error).toBe('invalid_grant');
    const flow2 = await signIn(idp, { client });
    expect((await redeemCode(idp, client, flow2)).status).toBe(200);
    const replay = await redeemCode(idp, client, flow2);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('renders an unknown client as an error page, not a crash', async () => {
    const response = await fetch(`${idp.issuer}/auth?client_id=nobody&response_type=code&scope=openid`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('invalid_client');
    // the server still answers
    expect((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });
});

describe('redirect URIs of an https client (SECURITY 17)', () => {
  const registered = 'https://app.example/auth/callback';
  const client: DevIdpClient = {
    client_id: 'https-app',
    client_secret: 'https-app-secret',
    redirect_uris: [registered],
  };
  let idp: DevIdp;

  beforeAll(async () => {
    idp = await createDevIdp({ port: 0, clients: [client] });
  });
  afterAll(() => idp.close());

  // The browser stops at the first redirect away from the IdP, so app.example is never contacted.
  it('sends the code to the registered https URI itself (the control case)', async () => {
    const flow = await signIn(idp, { client });
    expect(flow.callback.origin + flow.callback.pathname).toBe(registered);
    expect(flow.callback.protocol).toBe('https:');
    expect((await redeemCode(idp, client, flow)).status).toBe(200);
  });

  it('17: refuses an http downgrade and every other variant with a 400 and no Location', async () => {
    const variants = [
      'http://app.example/auth/callback',
      'http://app.example:443/auth/callback',
      'http://app.example:80/auth/callback',
      // The same URL once normalised, but not the registered string.
      'https://app.example:443/auth/callback',
      'https://app.example/auth/x/../callback',
      'https://app.example/auth/callback?',
      // Another port, query, path, fragment, case or host.
      'https://app.example:8443/auth/callback',
      'https://app.example/auth/callback?next=/evil',
      'https://app.example/auth/callback/',
      'https://app.example/auth/callback/../../evil',
      'https://app.example/auth/%2e%2e/callback',
      'https://app.example/auth/%2E%2E/evil',
      'https://app.example/auth//callback',
      'https://app.example/auth/callback#x',
      'https://app.example/Auth/Callback',
      'https://APP.example/auth/callback',
      'https://app.example./auth/callback',
      'https://app.example.evil.example/auth/callback',
      'https://evil.app.example/auth/callback',
      'https://app.example@evil.example/auth/callback',
      'https://evil.example/auth/callback',
      '//app.example/auth/callback',
      '/auth/callback',
    ];
    for (const redirectUri of variants) {
      const auth = authorizationUrl(idp, { client, redirectUri });
      const response = await new Browser().request(auth.url);
      expect(response.status, redirectUri).toBe(400);
      expect(response.headers.get('location'), redirectUri).toBeNull();
      expect(await response.text(), redirectUri).toContain('invalid_redirect_uri');
    }
  });

  it('17: refuses to redeem an https code with the http redirect_uri', async () => {
    const flow = await signIn(idp, { client });
    const downgraded = await redeemCode(idp, client, {
      ...flow,
      redirectUri: registered.replace('https:', 'http:'),
    });
    expect(downgraded.status).toBe(400);
    expect(downgraded.body.error).toBe('invalid_grant');
    expect(downgraded.body.access_token).toBeUndefined();
  });
});
