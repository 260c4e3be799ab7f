import { createAccessTokenVerifier } from '@gatehouse/api';
import {
  describeWith,
  type LemonLdap,
  readForm,
  signIn,
  startLemonLdap,
  TestBrowser,
} from '@gatehouse/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  callApi,
  type EnvBff,
  identityOf,
  logout,
  type RecordingUpstream,
  reservePort,
  signOutFully,
  startEnvBff,
  startRecordingUpstream,
} from './support.js';

// LemonLDAP::NG 2.16 from Debian as the issuer, and the BFF configured by environment alone, exactly as
// `npx gatehouse serve` reads it. Each test is a row of the interop table in docs/run-the-bff.md.

const LLNG_FORM = { fields: { login: 'user', password: 'password' } } as const;
/** The secret of the issue that found the bug: `-` is form-encoded by RFC 6749's Basic rules. */
const SECRET = 'bff-secret';
/** Secrets holding each character that trips client_secret_basic somewhere. */
const RESERVED = ['-', '+', '/', '=', '%'].map((c, i) => ({
  char: c,
  id: `rp-${i}`,
  secret: `s3c${c}r3t${c}x`,
}));

type Reserved = Awaited<ReturnType<typeof reservePort>>;
let llng: LemonLdap;
let upstream: RecordingUpstream;
/** One BFF port per test for the main client (a port is not reused: keep-alive sockets outlive a server). */
const mains: Reserved[] = [];
const nextMain = () => {
  const port = mains.shift();
  if (!port) throw new Error('no main port left');
  return port;
};
/** The BFF whose front-channel logout URL is registered (LemonLDAP takes one per client). */
let frontchannel: Reserved;
/** Two BFF ports per reserved-character client: one for client_secret_post, one for client_secret_basic. */
const ports = new Map<string, { post: Reserved; basic: Reserved }>();
const running: EnvBff[] = [];

async function bff(reserved: Reserved, env: Record<string, string>): Promise<EnvBff> {
  const started = await startEnvBff(reserved, { GATEHOUSE_ISSUER: llng.issuer, ...env });
  running.push(started);
  return started;
}

async function stop(started: EnvBff): Promise<void> {
  running.splice(running.indexOf(started), 1);
  await started.close();
}

await describeWith(['lemonldap'], 'LemonLDAP::NG as the issuer, the BFF configured by environment', () => {
  beforeAll(async () => {
    for (let i = 0; i < 8; i++) mains.push(await reservePort());
    frontchannel = await reservePort();
    for (const rp of RESERVED) ports.set(rp.id, { post: await reservePort(), basic: await reservePort() });
    const client = (clientId: string, clientSecret: string, at: Reserved[], ttl?: number) => ({
      clientId,
      clientSecret,
      redirectUris: at.map((bff) => `${bff.url}/auth/callback`),
      postLogoutRedirectUris: at.map((bff) => `${bff.url}/`),
      ...(ttl ? { accessTokenTtl: ttl } : {}),
    });
    llng = await startLemonLdap({
      hostname: 'localhost',
      clients: [
        client('gatehouse-bff', SECRET, [...mains], 4),
        {
          ...client('gatehouse-fc', SECRET, [frontchannel]),
          frontchannelLogoutUri: `${frontchannel.url}/auth/frontchannel-logout`,
        },
        ...RESERVED.map((rp) => {
          const at = ports.get(rp.id);
          return client(rp.id, rp.secret, at ? [at.post, at.basic] : []);
        }),
      ],
    });
    upstream = await startRecordingUpstream();
  });
  // A failed test leaves its BFF running: close it, so the next one can take the port.
  afterEach(async () => {
    for (const started of [...running]) await stop(started);
  });
  afterAll(async () => {
    await upstream?.close();
    await llng?.close();
  });

  const mainEnv = () => ({
    GATEHOUSE_CLIENT_ID: 'gatehouse-bff',
    GATEHOUSE_CLIENT_SECRET: SECRET,
    GATEHOUSE_UPSTREAMS: `orders=${upstream.url}`,
    GATEHOUSE_ROLES: 'admin=admin:access; customer=orders:view profile:edit',
  });

  it('signs in with the secret it was given; roles come from userinfo, permissions from GATEHOUSE_ROLES', async () => {
    const started = await bff(nextMain(), mainEnv());
    const browser = new TestBrowser();
    await signIn(browser, started.url, 'dwho', LLNG_FORM);
    expect(await identityOf(browser, started.url)).toMatchObject({
      isAuthenticated: true,
      user: {
        id: 'dwho',
        displayName: 'Doctor Who',
        roles: ['admin', 'customer'],
        permissions: ['admin:access', 'orders:view', 'profile:edit'],
      },
    });
    // `auto` took the first method LemonLDAP lists; its Basic check compares credentials undecoded.
    expect(started.server.runtime.oidc.tokenEndpointAuthMethod).toBe('client_secret_post');
    await stop(started);
  });

  it('secrets with -, +, /, = and % sign in with client_secret_post; LemonLDAP refuses them with Basic', async () => {
    for (const rp of RESERVED) {
      const env = { GATEHOUSE_CLIENT_ID: rp.id, GATEHOUSE_CLIENT_SECRET: rp.secret };
      const at = ports.get(rp.id);
      if (!at) throw new Error(`no ports for ${rp.id}`);
      const post = await bff(at.post, {
        ...env,
        GATEHOUSE_TOKEN_AUTH_METHOD: 'client_secret_post',
      });
      const browser = new TestBrowser();
      await signIn(browser, post.url, 'rtyler', LLNG_FORM);
      expect(await identityOf(browser, post.url), `post with "${rp.char}"`).toMatchObject({
        isAuthenticated: true,
      });
      await stop(post);

      const basic = await bff(at.basic, {
        ...env,
        GATEHOUSE_TOKEN_AUTH_METHOD: 'client_secret_basic',
      });
      await expect(
        signIn(new TestBrowser(), basic.url, 'rtyler', LLNG_FORM),
        `basic with "${rp.char}"`,
      ).rejects.toThrow(/did not come back: 400/);
      expect(basic.logs.events('login_failure')).toHaveLength(1);
      await stop(basic);
    }
  });

  it("proxies calls with the bearer, which a domain API verifies with LemonLDAP's own keys", async () => {
    const started = await bff(nextMain(), mainEnv());
    const browser = new TestBrowser();
    await signIn(browser, started.url, 'dwho', LLNG_FORM);
    const before = upstream.received.length;
    expect((await callApi(browser, started.url, 'orders/mine')).status).toBe(200);
    const bearer = upstream.bearers()[before];
    expect(bearer).toBeTypeOf('string');
    // LemonLDAP's JWT access tokens say `typ: JWT` (not RFC 9068's at+jwt) and name the client as audience.
    const verifier = createAccessTokenVerifier({
      issuer: llng.issuer,
      audience: 'gatehouse-bff',
      requireAccessTokenType: false,
    });
    expect((await verifier.verify(bearer as string)).claims).toMatchObject({ sub: 'dwho', iss: llng.issuer });
    await stop(started);
  });

  it('refreshes as often as the token lives, with a refresh token LemonLDAP does not rotate', async () => {
    const started = await bff(nextMain(), mainEnv());
    const browser = new TestBrowser();
    await signIn(browser, started.url, 'dwho', LLNG_FORM);
    const first = upstream.received.length;
    for (let i = 0; i < 3; i++) {
      expect((await callApi(browser, started.url, `orders/${i}`)).status).toBe(200);
      // The 4-second token is due at half its life: the next call refreshes.
      if (i < 2) await new Promise((resolve) => setTimeout(resolve, 2_300));
    }
    const bearers = upstream.bearers().slice(first);
    expect(new Set(bearers).size).toBe(3);
    expect(started.logs.events('refresh_success')).toHaveLength(2);
    expect(started.logs.events('refresh_failure')).toHaveLength(0);
    await stop(started);
  });

  it('sign-out posts id_token_hint: LemonLDAP ends its session without asking; the next sign-in asks again', async () => {
    const started = await bff(nextMain(), mainEnv());
    const browser = new TestBrowser();
    await signIn(browser, started.url, 'dwho', LLNG_FORM);
    const out = await signOutFully(browser, started.url);
    expect(out.hinted).toBe(true);
    expect(out.landedAt?.href).toBe(`${started.url}/`);
    expect(await identityOf(browser, started.url)).toEqual({ isAuthenticated: false });
    const again = await browser.follow(`${started.url}/auth/login?returnTo=/`);
    expect(again.response.text).toContain('name="password"');
  });

  it('without the hint (GATEHOUSE_LOGOUT_ID_TOKEN_HINT=false) LemonLDAP asks to confirm, then ends its session', async () => {
    const started = await bff(nextMain(), { ...mainEnv(), GATEHOUSE_LOGOUT_ID_TOKEN_HINT: 'false' });
    const browser = new TestBrowser();
    await signIn(browser, started.url, 'dwho', LLNG_FORM);
    const redirectTo = await logout(browser, started.url);
    expect(redirectTo.startsWith(`${llng.issuer}/oauth2/logout?`)).toBe(true);
    expect(new URL(redirectTo).searchParams.get('client_id')).toBe('gatehouse-bff');
    expect(await identityOf(browser, started.url)).toEqual({ isAuthenticated: false });
    const page = await browser.follow(redirectTo);
    const confirm = readForm(page.response.text, page.response.url);
    const back = await browser.follow(
      confirm.action,
      { form: { ...confirm.fields, confirm: '1' } },
      (location) => location.origin === new URL(started.url).origin,
    );
    expect(back.stoppedAt?.href).toBe(`${started.url}/`);
    const again = await browser.follow(`${started.url}/auth/login?returnTo=/`);
    expect(again.response.text).toContain('name="password"');
  });

  it('front-channel logout: LemonLDAP names the user, not a session: the frame ends the session of its browser', async () => {
    const started = await bff(frontchannel, { ...mainEnv(), GATEHOUSE_CLIENT_ID: 'gatehouse-fc' });
    const browser = new TestBrowser();
    await signIn(browser, started.url, 'rtyler', LLNG_FORM);
    const other = new TestBrowser();
    await signIn(other, started.url, 'rtyler', LLNG_FORM);
    // The user signs out at LemonLDAP's portal; it answers a page of frames, one per relying party.
    const portal = await browser.follow(`${llng.issuer}/?logout=1`);
    const frame = /<iframe src="([^"]+)"/.exec(portal.response.text)?.[1]?.replaceAll('&amp;', '&');
    expect(frame?.startsWith(`${started.url}/auth/frontchannel-logout?`)).toBe(true);
    expect(new URL(frame as string).searchParams.get('sid')).toBe('rtyler');
    // The browser loads the frame: same site as the BFF here, so its Lax session cookie goes along.
    const answer = await browser.request(frame as string, {
      headers: { 'sec-fetch-dest': 'iframe', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'same-site' },
    });
    expect(answer.status).toBe(200);
    expect(await identityOf(browser, started.url)).toEqual({ isAuthenticated: false });
    // The same user's session in another browser is not ended by a frame it did not load: a `sid` that is a
    // user name is never used to end sessions.
    expect(await identityOf(other, started.url)).toMatchObject({ isAuthenticated: true });
    const forged = await new TestBrowser().request(frame as string, {
      headers: { 'sec-fetch-dest': 'iframe' },
    });
    expect(forged.status).toBe(200);
    expect(await identityOf(other, started.url)).toMatchObject({ isAuthenticated: true });
  });

  it('has no back-channel logout (LemonLDAP 2.16 says so in discovery) and no private_key_jwt', async () => {
    const discovery = (await (
      await fetch(`${llng.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery.backchannel_logout_supported).toBe(false);
    expect(discovery.frontchannel_logout_supported).toBe(true);
    expect(discovery.token_endpoint_auth_methods_supported).toEqual([
      'client_secret_post',
      'client_secret_basic',
    ]);
  });
});
