import type { SsfReceiver } from '@gatehouse/dev-idp';
import { ssfEventTypes } from '@gatehouse/policy';
import { API_HEADERS, describeWith, TestBrowser } from '@gatehouse/testing';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvents } from './support/events.js';
import { useTwoInstances } from './support/instances.js';
import { type Stack, signIn, startStack } from './support/stack.js';

const sessionIdOf = (cookie: string): string => /__Host-Http-gatehouse=([^.;]+)/.exec(cookie)?.[1] ?? '';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const AUTHORIZATION = 'Bearer stream-secret-of-the-dev-transmitter';

/** The BFF's receiver as the transmitter's stream names it. */
const receiverOf = (stack: Stack, overrides: Partial<SsfReceiver> = {}): SsfReceiver => ({
  endpoint: `${stack.bffUrl}/auth/ssf/events`,
  audience: 'gatehouse-bff',
  authorization: AUTHORIZATION,
  ...overrides,
});

/** Signs `user` in with a browser of their own: the browser, its cookie, its session's `sid` at the IdP. */
async function signedIn(stack: Stack, user: string) {
  const browser = new TestBrowser();
  await signIn(browser, stack, user);
  const cookie = await browser.jar.getCookieString(stack.bffUrl);
  const record = await stack.bff.runtime.store.get(sessionIdOf(cookie));
  return { browser, cookie, sub: record?.sub ?? '', sid: record?.sid ?? '' };
}

const isSignedIn = async (stack: Stack, who: { browser: TestBrowser }) =>
  (
    (await who.browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json() as {
      isAuthenticated: boolean;
    }
  ).isAuthenticated;

describe('Shared Signals receiver (POST /auth/ssf/events)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ bff: { sharedSignals: { authorization: AUTHORIZATION } } });
  });
  afterAll(async () => {
    await stack?.close();
  });
  const push = (type: string, subject: ReturnType<Stack['idp']['transmitter']['subject']>, members = {}) =>
    stack.idp.transmitter.push(receiverOf(stack), { type, subject, members });

  it('CAEP session-revoked for one IdP session: that session ends and its tab is told at once; other sessions stay', async () => {
    const alice = await signedIn(stack, 'alice');
    const bob = await signedIn(stack, 'bob');
    const tab = await openEvents(`${stack.bffUrl}/auth/events`, { ...API_HEADERS, cookie: alice.cookie });
    expect(alice.sid).not.toBe('');
    const started = Date.now();
    const answer = await push(
      ssfEventTypes.sessionRevoked,
      stack.idp.transmitter.subject(alice.sub, alice.sid),
    );
    expect(answer.status).toBe(202);
    expect(await tab.next()).toEqual({ type: 'logged-out', reason: 'backchannel_logout' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await isSignedIn(stack, alice)).toBe(false);
    expect(await isSignedIn(stack, bob)).toBe(true);
    expect(stack.logs.events('ssf_event').at(-1)).toMatchObject({
      type: 'session-revoked',
      action: 'end_session',
      sessions: 1,
    });
  });

  it('credential-change ends every session of the user, unless a credential was only added', async () => {
    const phone = await signedIn(stack, 'carol');
    const laptop = await signedIn(stack, 'carol');
    const subject = stack.idp.transmitter.subject(phone.sub);
    const added = await push(ssfEventTypes.credentialChange, subject, {
      credential_type: 'fido2-roaming',
      change_type: 'create',
    });
    expect(added.status).toBe(202);
    expect(await isSignedIn(stack, phone)).toBe(true);
    const changed = await push(ssfEventTypes.credentialChange, subject, {
      credential_type: 'password',
      change_type: 'update',
    });
    expect(changed.status).toBe(202);
    expect(await isSignedIn(stack, phone)).toBe(false);
    expect(await isSignedIn(stack, laptop)).toBe(false);
  });

  it('assurance-level-change ends the sessions when the level went down, not when it went up; RISC account-disabled ends them all', async () => {
    const dave = await signedIn(stack, 'dave');
    const subject = stack.idp.transmitter.subject(dave.sub);
    const level = { namespace: 'NIST-AAL', previous_level: 'nist-aal1', current_level: 'nist-aal2' };
    expect(
      (await push(ssfEventTypes.assuranceLevelChange, subject, { ...level, change_direction: 'increase' }))
        .status,
    ).toBe(202);
    expect(await isSignedIn(stack, dave)).toBe(true);
    const down = { namespace: 'NIST-AAL', previous_level: 'nist-aal2', current_level: 'nist-aal1' };
    expect(
      (await push(ssfEventTypes.assuranceLevelChange, subject, { ...down, change_direction: 'decrease' }))
        .status,
    ).toBe(202);
    expect(await isSignedIn(stack, dave)).toBe(false);

    const again = await signedIn(stack, 'dave');
    expect((await push(ssfEventTypes.accountDisabled, subject, { reason: 'hijacking' })).status).toBe(202);
    expect(await isSignedIn(stack, again)).toBe(false);
  });

  it('accepts an event it does not act on, or about no session of its own, and ends nothing', async () => {
    const erin = await signedIn(stack, 'erin');
    const other = stack.idp.transmitter.subject('user_nobody');
    expect((await push(ssfEventTypes.accountDisabled, other)).status).toBe(202);
    const unknown = 'https://schemas.openid.net/secevent/caep/event-type/token-claims-change';
    expect((await push(unknown, stack.idp.transmitter.subject(erin.sub), { claims: {} })).status).toBe(202);
    const foreign = { format: 'iss_sub', iss: 'https://elsewhere.example', sub: erin.sub } as const;
    expect((await push(ssfEventTypes.accountDisabled, foreign)).status).toBe(202);
    expect(await isSignedIn(stack, erin)).toBe(true);
  });

  it('refuses a bad SET with the RFC 8935 error code and ends nothing', async () => {
    const alice = await signedIn(stack, 'alice');
    const subject = stack.idp.transmitter.subject(alice.sub);
    const event = { type: ssfEventTypes.accountDisabled, subject };
    const refused = async (answer: { status: number; body: string }, status: number, err: string) => {
      expect(answer.status).toBe(status);
      expect(JSON.parse(answer.body)).toMatchObject({ err });
      expect(await isSignedIn(stack, alice)).toBe(true);
    };
    const transmitter = stack.idp.transmitter;
    // Without the stream's Authorization header, or with another.
    await refused(
      await transmitter.push(receiverOf(stack, { authorization: undefined }), event),
      401,
      'authentication_failed',
    );
    await refused(
      await transmitter.push(
        receiverOf(stack, { authorization: 'Bearer a-guess-of-the-same-length-x' }),
        event,
      ),
      401,
      'authentication_failed',
    );
    // For another receiver.
    await refused(
      await transmitter.push(receiverOf(stack, { audience: 'another-rp' }), event),
      400,
      'invalid_audience',
    );
    // Too old.
    const old = await transmitter.sign(receiverOf(stack), event, {
      iat: Math.floor(Date.now() / 1000) - 7200,
    });
    await refused(await transmitter.pushSet(receiverOf(stack), old), 400, 'invalid_request');
    // Signed by a key the transmitter does not publish.
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ sub_id: subject, events: { [ssfEventTypes.accountDisabled]: {} } })
      .setProtectedHeader({ alg: 'ES256', kid: 'not-a-key-of-the-idp', typ: 'secevent+jwt' })
      .setIssuer(stack.idp.issuer)
      .setAudience('gatehouse-bff')
      .setIssuedAt()
      .setJti('forged-1')
      .sign(privateKey);
    await refused(await transmitter.pushSet(receiverOf(stack), forged), 400, 'invalid_key');
    // Not a JWT; another media type.
    await refused(await transmitter.pushSet(receiverOf(stack), 'not.a.set'), 400, 'invalid_request');
    const json = await fetch(receiverOf(stack).endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: AUTHORIZATION },
      body: JSON.stringify({ events: {} }),
    });
    await refused({ status: json.status, body: await json.text() }, 400, 'invalid_request');
    expect(stack.logs.events('ssf_refused').length).toBeGreaterThanOrEqual(7);
  });

  it('acts once per SET: the same SET again is refused and does not end a session begun since', async () => {
    const bob = await signedIn(stack, 'bob');
    const receiver = receiverOf(stack);
    const first = await stack.idp.transmitter.push(receiver, {
      type: ssfEventTypes.sessionRevoked,
      subject: stack.idp.transmitter.subject(bob.sub),
    });
    expect(first.status).toBe(202);
    expect(await isSignedIn(stack, bob)).toBe(false);
    const again = await signedIn(stack, 'bob');
    const replay = await stack.idp.transmitter.pushSet(receiver, first.set);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.body)).toEqual({
      err: 'invalid_request',
      description: 'the SET was already received (jti)',
    });
    expect(await isSignedIn(stack, again)).toBe(true);
  });

  it('is not there without `sharedSignals` (404), and reads the transmitter’s keys from its SSF configuration', async () => {
    const plain = await startStack();
    try {
      const answer = await plain.idp.transmitter.push(receiverOf(plain), {
        type: ssfEventTypes.accountDisabled,
        subject: plain.idp.transmitter.subject('user_alice'),
      });
      expect(answer.status).toBe(404);
    } finally {
      await plain.close();
    }
    const configuration = await (await fetch(`${stack.idp.issuer}/.well-known/ssf-configuration`)).json();
    expect(configuration).toMatchObject({
      issuer: stack.idp.issuer,
      jwks_uri: `${stack.idp.issuer}/jwks`,
      delivery_methods_supported: ['urn:ietf:rfc:8935'],
    });
  });
});

await describeWith(['redis'], 'Shared Signals across instances (Redis pub/sub)', () => {
  const twoInstances = useTwoInstances();

  it('a session-revoked SET received by instance B reaches a tab streaming from instance A within a second; its replay on A is refused', async () => {
    const { a, bUrl } = await twoInstances({ sharedSignals: {} });
    const alice = await signedIn(a, 'alice');
    const tab = await openEvents(`${a.bffUrl}/auth/events`, { ...API_HEADERS, cookie: alice.cookie });
    await sleep(100);
    const started = Date.now();
    const receiverB = { endpoint: `${bUrl}/auth/ssf/events`, audience: a.bffUrl };
    const sent = await a.idp.transmitter.push(receiverB, {
      type: ssfEventTypes.sessionRevoked,
      subject: a.idp.transmitter.subject(alice.sub, alice.sid),
    });
    expect(sent.status).toBe(202);
    expect(await tab.next()).toEqual({ type: 'logged-out', reason: 'backchannel_logout' });
    expect(Date.now() - started).toBeLessThan(1000);
    const replay = await a.idp.transmitter.pushSet(
      { endpoint: `${a.bffUrl}/auth/ssf/events`, audience: a.bffUrl },
      sent.set,
    );
    expect(replay.status).toBe(400);
  });
});

describe('Shared Signals configuration', () => {
  it('reads GATEHOUSE_SSF and its settings, fills the defaults, and refuses what does not fit', async () => {
    const { optionsFromEnv, resolveConfig, ConfigError } = await import('../src/index.js');
    const base = { GATEHOUSE_SESSION_SECRET: 'x'.repeat(32) };
    expect(optionsFromEnv(base).sharedSignals).toBeUndefined();
    const on = resolveConfig(optionsFromEnv({ ...base, GATEHOUSE_SSF: '1' }));
    expect(on.sharedSignals).toEqual({ maxAge: 3600 });
    const set = optionsFromEnv({
      ...base,
      GATEHOUSE_SSF_ISSUER: 'https://signals.example',
      GATEHOUSE_SSF_AUDIENCE: 'gatehouse-bff, https://shop.example',
      GATEHOUSE_SSF_AUTHORIZATION: 'Bearer 0123456789abcdef',
    });
    expect(set.sharedSignals).toEqual({
      issuer: 'https://signals.example',
      audience: ['gatehouse-bff', 'https://shop.example'],
      authorization: 'Bearer 0123456789abcdef',
    });
    expect(() =>
      optionsFromEnv({ ...base, GATEHOUSE_SSF: '0', GATEHOUSE_SSF_ISSUER: 'https://x.example' }),
    ).toThrow(ConfigError);
    expect(() => resolveConfig({ sharedSignals: { authorization: 'short' } })).toThrow(/sharedSignals/);
    expect(() => resolveConfig({ sharedSignals: { maxAge: 5 } })).toThrow(/sharedSignals/);
  });
});
