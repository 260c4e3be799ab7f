import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccessTokenVerifier } from '@gatehouse/api';
import { bffClient, createDevIdp, type DevIdp, type DevIdpClient } from '@gatehouse/dev-idp';
import { endIdpSession, signIn, TestBrowser } from '@gatehouse/testing';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  callApi,
  type EnvBff,
  identityOf,
  type RecordingUpstream,
  reservePort,
  startEnvBff,
  startRecordingUpstream,
} from './support.js';

// oidc-provider configured unlike the dev IdP's defaults: private_key_jwt, pairwise subjects, ES256 keys, a key
// rotation in the middle of a session, and ID tokens encrypted to the client (refused). The BFF is configured
// by environment alone each time, as `npx gatehouse serve` is.

const AUDIENCE = 'urn:gatehouse:shop';
let upstream: RecordingUpstream;
let dir: string;
const running: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-interop-'));
});
afterEach(async () => {
  for (const part of running.splice(0).reverse()) await part.close();
});
afterAll(async () => {
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

type Reserved = Awaited<ReturnType<typeof reservePort>>;

async function idpWith(options: Parameters<typeof createDevIdp>[0]): Promise<DevIdp> {
  const idp = await createDevIdp({ port: 0, ...options });
  running.push(idp);
  return idp;
}

async function bffFor(idp: DevIdp, at: Reserved, env: Record<string, string> = {}): Promise<EnvBff> {
  const bff = await startEnvBff(at, {
    GATEHOUSE_ISSUER: idp.issuer,
    GATEHOUSE_RESOURCE: AUDIENCE,
    GATEHOUSE_UPSTREAMS: `orders=${upstream.url}`,
    ...env,
  });
  running.push(bff);
  return bff;
}

function apiVerifier(idp: DevIdp, jwksCooldownMs?: number) {
  return createAccessTokenVerifier({
    issuer: idp.issuer,
    audience: AUDIENCE,
    ...(jwksCooldownMs ? { jwksCooldownMs } : {}),
  });
}

/** The bearer the upstream received for the last call. */
const lastBearer = () => upstream.bearers().at(-1) as string;

describe('oidc-provider, configured unlike the dev IdP', () => {
  it('private_key_jwt: auto picks it when a key is configured; the issuer fetches the key from /auth/jwks', async () => {
    const at = await reservePort();
    const keyFile = join(dir, 'client-key.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const client: DevIdpClient = {
      ...bffClient({ baseUrl: at.url }),
      client_secret: undefined,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: `${at.url}/auth/jwks`,
    };
    const idp = await idpWith({ clients: [client], ttl: { AccessToken: 4 } });
    const bff = await bffFor(idp, at, { GATEHOUSE_CLIENT_KEY_FILE: keyFile });

    const jwks = await (await fetch(`${bff.url}/auth/jwks`)).json();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const browser = new TestBrowser();
    await signIn(browser, bff.url, 'alice');
    expect(bff.server.runtime.oidc.tokenEndpointAuthMethod).toBe('private_key_jwt');
    expect((await callApi(browser, bff.url, 'orders/1')).status).toBe(200);
    // The refresh authenticates with an assertion too.
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    expect((await callApi(browser, bff.url, 'orders/2')).status).toBe(200);
    expect(bff.logs.events('refresh_success')).toHaveLength(1);
  });

  it('private_key_jwt: a client secret alone is refused by an issuer that registered a key', async () => {
    const at = await reservePort();
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const client: DevIdpClient = {
      ...bffClient({ baseUrl: at.url }),
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), use: 'sig', alg: 'ES256' }] },
    };
    const idp = await idpWith({ clients: [client] });
    const bff = await bffFor(idp, at, { GATEHOUSE_TOKEN_AUTH_METHOD: 'client_secret_basic' });
    await expect(signIn(new TestBrowser(), bff.url, 'alice')).rejects.toThrow(/did not come back: 400/);
    expect(bff.logs.events('login_failure')).toHaveLength(1);
  });

  it('pairwise subjects: the user is the pairwise sub, stable for one client, different for another', async () => {
    const first = await reservePort();
    const second = await reservePort();
    const idp = await idpWith({
      clients: [
        { ...bffClient({ baseUrl: first.url }), subject_type: 'pairwise' },
        { ...bffClient({ baseUrl: second.url, clientId: 'other-bff' }), subject_type: 'pairwise' },
      ],
    });
    const a = await bffFor(idp, first);
    const b = await bffFor(idp, second, { GATEHOUSE_CLIENT_ID: 'other-bff' });
    const ids: string[] = [];
    for (const bff of [a, a, b]) {
      const browser = new TestBrowser();
      await signIn(browser, bff.url, 'alice');
      const identity = (await identityOf(browser, bff.url)) as { user: { id: string; displayName: string } };
      expect(identity.user.displayName).toBe('Alice');
      ids.push(identity.user.id);
    }
    expect(ids[0]).not.toBe('user_alice');
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('ES256 keys: sign-in, a bearer the API verifies, and a back-channel logout, all on ES256', async () => {
    const at = await reservePort();
    const idp = await idpWith({ clients: [bffClient({ baseUrl: at.url })], signingAlg: 'ES256' });
    const bff = await bffFor(idp, at);
    const browser = new TestBrowser();
    await signIn(browser, bff.url, 'alice');
    expect((await callApi(browser, bff.url, 'orders/es')).status).toBe(200);
    expect(decodeProtectedHeader(lastBearer()).alg).toBe('ES256');
    expect((await apiVerifier(idp).verify(lastBearer())).claims.sub).toBe('user_alice');
    // The IdP's logout signs a logout token with ES256; the BFF verifies it and ends the session.
    const delivered = new Promise((resolve) => idp.provider.once('backchannel.success', resolve));
    await endIdpSession(browser, idp.issuer);
    await delivered;
    expect(await identityOf(browser, bff.url)).toEqual({ isAuthenticated: false });
  });

  it('a key rotation during a session: refreshed tokens carry the new kid; old and new tokens verify', async () => {
    const at = await reservePort();
    const idp = await idpWith({ clients: [bffClient({ baseUrl: at.url })], ttl: { AccessToken: 4 } });
    const bff = await bffFor(idp, at);
    // An API refetches the issuer's keys for an unknown kid at most once per cooldown (30 s by default): the
    // shortest allowed here, so the test need not wait it out.
    const verifier = apiVerifier(idp, 1000);
    const browser = new TestBrowser();
    await signIn(browser, bff.url, 'alice');
    expect((await callApi(browser, bff.url, 'orders/before')).status).toBe(200);
    const before = lastBearer();
    await verifier.verify(before);
    const kid = await idp.rotateSigningKeys();
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    expect((await callApi(browser, bff.url, 'orders/after')).status).toBe(200);
    expect(bff.logs.events('refresh_success')).toHaveLength(1);
    const after = lastBearer();
    expect(decodeProtectedHeader(after).kid).toBe(kid);
    expect(decodeProtectedHeader(before).kid).not.toBe(kid);
    // The API learns the new key on the first token that names it; the earlier token still verifies.
    expect((await verifier.verify(after)).claims.sub).toBe('user_alice');
    expect((await verifier.verify(before)).claims.sub).toBe('user_alice');
    // A logout token signed with the new key is accepted by the BFF.
    const delivered = new Promise((resolve) => idp.provider.once('backchannel.success', resolve));
    await endIdpSession(browser, idp.issuer);
    await delivered;
    expect(await identityOf(browser, bff.url)).toEqual({ isAuthenticated: false });
  });

  it('ID tokens encrypted to the client are refused: no session, a clear log line', async () => {
    const at = await reservePort();
    const { publicKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    const client: DevIdpClient = {
      ...bffClient({ baseUrl: at.url }),
      id_token_encrypted_response_alg: 'RSA-OAEP-256',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), use: 'enc', alg: 'RSA-OAEP-256' }] },
    };
    const idp = await idpWith({ clients: [client] });
    const bff = await bffFor(idp, at);
    const browser = new TestBrowser();
    await expect(signIn(browser, bff.url, 'alice')).rejects.toThrow(/did not come back: 400/);
    expect(await identityOf(browser, bff.url)).toEqual({ isAuthenticated: false });
    const [failure] = bff.logs.events('login_failure');
    expect(JSON.stringify(failure)).toMatch(/JWE|encrypt/i);
  });

  it('client_secret_basic and client_secret_post both work when asked for', async () => {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const at = await reservePort();
      const idp = await idpWith({
        clients: [{ ...bffClient({ baseUrl: at.url }), token_endpoint_auth_method: method }],
      });
      const bff = await bffFor(idp, at, { GATEHOUSE_TOKEN_AUTH_METHOD: method });
      const browser = new TestBrowser();
      await signIn(browser, bff.url, 'bob');
      expect(await identityOf(browser, bff.url), method).toMatchObject({ user: { id: 'user_bob' } });
      expect(bff.server.runtime.oidc.tokenEndpointAuthMethod).toBe(method);
    }
  });
});
