import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatehouseApi } from '@gatehouse/api';
import { bffClient, createDevIdp } from '@gatehouse/dev-idp';
import { API_HEADERS, freePort, TestBrowser } from '@gatehouse/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDPoPKey } from '../src/dpop-key.js';
import { ConfigError, optionsFromEnv, resolveConfig } from '../src/index.js';
import { type Opened, openWebSocket, startWsUpstream, type WsUpstream } from './support/long-lived.js';
import { SECRET, type Stack, signIn, startStack } from './support/stack.js';

/** What the @gatehouse/api upstream saw of each request: its `Authorization` and `DPoP` headers. */
interface Seen {
  readonly authorization: string | undefined;
  readonly dpop: string | undefined;
}

/** A real @gatehouse/api service (verifying DPoP proofs) answering the caller's `sub`. */
async function startApi(
  issuer: string,
  seen: Seen[],
  dpopNonce = false,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  app.addHook('onRequest', async (request) => {
    const dpop = request.headers.dpop;
    seen.push({
      authorization: request.headers.authorization,
      dpop: typeof dpop === 'string' ? dpop : undefined,
    });
  });
  await app.register(gatehouseApi, { issuer, audience: 'urn:gatehouse:shop', dpopNonce });
  app.get('/whoami', async (request) => ({ sub: request.principal?.sub }));
  app.post('/whoami', async (request) => ({ sub: request.principal?.sub }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: address };
}

describe('DPoP (RFC 9449): the BFF binds its tokens to the deployment key and proves possession upstream', () => {
  const seen: Seen[] = [];
  const seenNonce: Seen[] = [];
  let stack: Stack;
  let api: { app: FastifyInstance; url: string };
  let nonceApi: { app: FastifyInstance; url: string };
  let ws: WsUpstream;

  beforeAll(async () => {
    // The API must listen before the BFF's configuration names it, and trust the IdP the stack will use.
    const bffPort = await freePort();
    const idp = await createDevIdp({
      port: 0,
      clients: [bffClient({ baseUrl: `http://localhost:${bffPort}` })],
    });
    api = await startApi(idp.issuer, seen);
    nonceApi = await startApi(idp.issuer, seenNonce, true);
    ws = await startWsUpstream();
    stack = await startStack({
      idp,
      bffPort,
      bff: (echo) => ({
        dpop: true,
        upstreams: {
          echo: { url: echo },
          orders: { url: api.url },
          nonce: { url: nonceApi.url },
          live: { url: `${ws.url}/base`, websocket: true },
        },
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await stack?.idp.close();
    await api?.app.close();
    await nonceApi?.app.close();
    await ws?.close();
  });

  it('proxies with Authorization: DPoP and a valid proof; the same token replayed as a bearer is refused', async () => {
    expect(stack.logs.events('dpop_key_generated')).toHaveLength(1);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const answer = await browser.get(`${stack.bffUrl}/api/orders/whoami?x=1`, API_HEADERS);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ sub: 'user_alice' });

    const last = seen.at(-1) as Seen;
    expect(last.authorization).toMatch(/^DPoP /);
    const token = (last.authorization as string).slice('DPoP '.length);
    const proof = last.dpop as string;
    const header = decodeProtectedHeader(proof);
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    const claims = decodeJwt(proof);
    expect(claims).toMatchObject({
      htm: 'GET',
      htu: `${api.url}/whoami`,
      ath: createHash('sha256').update(token).digest('base64url'),
    });
    expect(typeof claims.jti).toBe('string');
    // The token is bound to the key the proof carries.
    expect(decodeJwt(token).cnf).toEqual({ jkt: await calculateJwkThumbprint(header.jwk as JWK) });

    const replayed = await fetch(`${api.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
    // Nor does the captured proof serve twice.
    const again = await fetch(`${api.url}/whoami`, {
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    });
    expect(again.status).toBe(401);
    expect(again.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);

    // Each request gets a proof of its own.
    expect((await browser.get(`${stack.bffUrl}/api/orders/whoami`, API_HEADERS)).status).toBe(200);
    expect(decodeJwt(seen.at(-1)?.dpop as string).jti).not.toBe(claims.jti);
  });

  it("retries once with an upstream's DPoP nonce (use_dpop_nonce), then sends it first; a streamed body's 401 passes through", async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'bob');
    // A body the BFF streams cannot be sent twice: the challenge reaches the client as it is.
    const post = await browser.request(`${stack.bffUrl}/api/nonce/whoami`, {
      method: 'POST',
      headers: API_HEADERS,
      json: {},
    });
    expect(post.status).toBe(401);
    expect(post.header('www-authenticate')).toMatch(/error="use_dpop_nonce"/);
    expect(seenNonce).toHaveLength(1);

    const get = await browser.get(`${stack.bffUrl}/api/nonce/whoami`, API_HEADERS);
    expect(get.status).toBe(200);
    expect(JSON.parse(get.text)).toEqual({ sub: 'user_bob' });
    const [first, second] = seenNonce.slice(1).map((entry) => decodeJwt(entry.dpop as string));
    expect(seenNonce).toHaveLength(3);
    expect(first?.nonce).toBeUndefined();
    expect(typeof second?.nonce).toBe('string');
    expect(second?.jti).not.toBe(first?.jti);

    // The nonce is remembered: the next request carries it at once.
    expect((await browser.get(`${stack.bffUrl}/api/nonce/whoami`, API_HEADERS)).status).toBe(200);
    expect(seenNonce).toHaveLength(4);
    expect(decodeJwt(seenNonce[3]?.dpop as string).nonce).toBe(second?.nonce);
  });

  it('signs a proof for a WebSocket handshake too (htm GET, htu the upstream URL without the query)', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const opened = await openWebSocket(`${stack.bffUrl.replace(/^http/, 'ws')}/api/live/chat?room=1`, {
      cookie: await browser.jar.getCookieString(stack.bffUrl),
      origin: stack.bffUrl,
      'sec-fetch-site': 'same-origin',
    });
    expect(opened.status).toBe(101);
    const seenHandshake = ws.handshakes.at(-1) ?? {};
    expect(seenHandshake.authorization).toMatch(/^DPoP eyJ/);
    const token = String(seenHandshake.authorization).slice('DPoP '.length);
    expect(decodeJwt(String(seenHandshake.dpop))).toMatchObject({
      htm: 'GET',
      htu: `${ws.url}/base/chat`,
      ath: createHash('sha256').update(token).digest('base64url'),
    });
    const conn = opened as Extract<Opened, { status: 101 }>;
    conn.socket.close();
    await conn.closed;
  });
});

describe('DPoP configuration', () => {
  const base = { sessionSecrets: [SECRET], issuer: 'https://idp.example', publicUrl: 'https://app.example' };

  it('refuses a sign-in whose tokens the issuer did not bind (token_type Bearer): no session, a clear page and log line', async () => {
    // An issuer without DPoP ignores the proof and issues bearer tokens; a BFF with dpop on must not use them.
    const port = await freePort();
    const idp = await createDevIdp({
      port: 0,
      dpop: false,
      clients: [bffClient({ baseUrl: `http://localhost:${port}` })],
    });
    const plain = await startStack({ idp, bffPort: port, bff: { dpop: true } });
    try {
      const browser = new TestBrowser();
      await expect(signIn(browser, plain, 'alice')).rejects.toThrow(/did not come back: 400/);
      const session = await browser.get(`${plain.bffUrl}/auth/session`, API_HEADERS);
      expect(session.json()).toMatchObject({ isAuthenticated: false });
      const failure = plain.logs.events('login_failure').at(-1);
      expect(failure).toMatchObject({ reason: 'invalid_response' });
      expect(JSON.stringify(failure)).toContain('did not bind the access token (token_type bearer)');
    } finally {
      await plain.close();
      await idp.close();
    }
  });

  it('refuses dpop without a key in production and with several workers, with a coded error', () => {
    const production = {
      ...base,
      production: true,
      clientSecret: 'a-real-secret-of-some-length',
      dpop: true,
    };
    expect(() => resolveConfig(production)).toThrow(ConfigError);
    try {
      resolveConfig(production);
    } catch (error) {
      expect((error as ConfigError).code).toBe('GH_BFF_CONFIG_INVALID');
      expect((error as ConfigError).problems).toContain(
        "dpopKey: production with dpop needs the deployment's key (GATEHOUSE_DPOP_KEY_FILE)",
      );
    }
    expect(() =>
      resolveConfig({ ...base, dpop: true, workers: 2, redisUrl: 'redis://127.0.0.1:6379' }),
    ).toThrow(/more than one worker with dpop needs the deployment's key/);
  });

  it('reads GATEHOUSE_DPOP and GATEHOUSE_DPOP_KEY_FILE; loads the key file, refuses a public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const file = join(tmpdir(), `gatehouse-dpop-${process.pid}.jwk`);
    await writeFile(file, JSON.stringify(await exportJWK(privateKey)));
    const options = optionsFromEnv({ GATEHOUSE_DPOP: 'true', GATEHOUSE_DPOP_KEY_FILE: file });
    expect(options).toMatchObject({ dpop: true, dpopKey: { file } });
    expect(() => optionsFromEnv({ GATEHOUSE_DPOP: 'yes' })).toThrow(/GATEHOUSE_DPOP: "yes"/);
    const key = await loadDPoPKey(resolveConfig({ ...base, ...options }));
    expect(key).toMatchObject({ alg: 'ES384', generated: false });
    expect(key?.publicJwk).not.toHaveProperty('d');
    const proof = key?.proof('POST', 'https://api.example/orders', 'token');
    expect(decodeProtectedHeader(proof as string)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES384' });
    await writeFile(file, JSON.stringify(await exportJWK(publicKey)));
    await expect(loadDPoPKey(resolveConfig({ ...base, ...options }))).rejects.toThrow(
      'dpopKey: the key is not a private key',
    );
    expect(await loadDPoPKey(resolveConfig(base))).toBeUndefined();
  });
});
