import { createHash, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiErrorCode, gatehouseApi, MemoryAuditSink, requirePrincipal } from '../src/index.js';
import { AUDIENCE, startTestIssuer, type TestIssuer } from './fixtures/test-issuer.js';

// docs/security-requirements.md#c24 (sender-constrained tokens): RFC 9449 proofs signed by real keys from jose,
// against a real Fastify app with the plugin; the issuer's discovery and JWKS are served over real HTTP.
interface Client {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly jkt: string;
}

async function client(alg = 'ES256'): Promise<Client> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

const now = () => Math.floor(Date.now() / 1000);
const ath = (token: string) => base64url.encode(createHash('sha256').update(token).digest());

interface ProofOptions {
  readonly htm?: string;
  readonly htu?: string;
  readonly iat?: number;
  readonly jti?: string;
  readonly ath?: string | null;
  readonly nonce?: string;
  readonly typ?: string;
  readonly signer?: Client;
  /** The `jwk` header, when it must not be the signer's public key (a mismatched or a private key). */
  readonly headerJwk?: JWK;
}

function proof(key: Client, token: string, options: ProofOptions = {}): Promise<string> {
  const signer = options.signer ?? key;
  const claims: Record<string, unknown> = {
    htm: options.htm ?? 'GET',
    htu: options.htu ?? 'https://api.shop.example/orders',
    jti: options.jti ?? randomUUID(),
    ...(options.ath === null ? {} : { ath: options.ath ?? ath(token) }),
    ...(options.nonce ? { nonce: options.nonce } : {}),
  };
  return new SignJWT(claims)
    .setProtectedHeader({
      alg: 'ES256',
      typ: options.typ ?? 'dpop+jwt',
      jwk: options.headerJwk ?? signer.jwk,
    })
    .setIssuedAt(options.iat ?? now())
    .sign(signer.privateKey);
}

let issuer: TestIssuer;
let app: FastifyInstance;
let nonceApp: FastifyInstance;
let key: Client;
const audit = new MemoryAuditSink();

async function service(options: { dpopNonce?: boolean; publicBaseUrl?: string } = {}) {
  const service = Fastify({ logger: false });
  await service.register(gatehouseApi, {
    issuer: issuer.issuer,
    audience: AUDIENCE,
    roles: { customer: ['orders:view'] },
    audit,
    ...options,
  });
  service.get('/orders', async (request) => ({ sub: requirePrincipal(request).sub }));
  service.post('/orders', async (request) => ({ sub: requirePrincipal(request).sub }));
  return service;
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  key = await client();
  app = await service({ publicBaseUrl: 'https://api.shop.example/' });
  nonceApp = await service({ dpopNonce: true });
});

afterAll(async () => {
  await app?.close();
  await nonceApp?.close();
  await issuer?.close();
});

const boundToken = (jkt = key.jkt) => issuer.accessToken('alice', { cnf: { jkt } });

const call = (
  authorization: string,
  dpop?: string,
  options: { method?: 'GET' | 'POST'; url?: string; target?: FastifyInstance; host?: string } = {},
) =>
  (options.target ?? app).inject({
    method: options.method ?? 'GET',
    url: options.url ?? '/orders',
    headers: {
      authorization,
      ...(dpop ? { dpop } : {}),
      ...(options.host ? { host: options.host } : {}),
    },
  });

async function expectRefused(
  response: Awaited<ReturnType<typeof call>>,
  code: ApiErrorCode,
  error: string,
): Promise<void> {
  expect(response.statusCode).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
  expect(response.headers['www-authenticate']).toMatch(new RegExp(`^DPoP .*error="${error}"`));
  expect(response.headers['www-authenticate']).toContain('algs="');
  expect(audit.events.at(-1)?.reason).toBe(code);
}

describe('DPoP-bound access tokens (RFC 9449, docs/security-requirements.md#c24)', () => {
  it('accepts a bound token with a valid proof of its key (the control case)', async () => {
    const token = await boundToken();
    const response = await call(`DPoP ${token}`, await proof(key, token));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sub: 'user_alice' });
    // The query is not part of htu; a POST needs a proof naming POST.
    const query = await call(`DPoP ${token}`, await proof(key, token), { url: '/orders?page=2' });
    expect(query.statusCode).toBe(200);
    const post = await call(`DPoP ${token}`, await proof(key, token, { htm: 'POST' }), { method: 'POST' });
    expect(post.statusCode).toBe(200);
  });

  it('refuses a bound token replayed as a bearer token, with or without the proof', async () => {
    const token = await boundToken();
    await expectRefused(await call(`Bearer ${token}`), 'GH_API_DPOP_BOUND', 'invalid_token');
    await expectRefused(
      await call(`Bearer ${token}`, await proof(key, token)),
      'GH_API_DPOP_BOUND',
      'invalid_token',
    );
  });

  it('refuses the DPoP scheme with a token bound to no key, and a bound token without a proof', async () => {
    const bearer = await issuer.accessToken('alice');
    await expectRefused(
      await call(`DPoP ${bearer}`, await proof(key, bearer)),
      'GH_API_DPOP_UNBOUND',
      'invalid_token',
    );
    const token = await boundToken();
    await expectRefused(await call(`DPoP ${token}`), 'GH_API_DPOP_PROOF_INVALID', 'invalid_dpop_proof');
    await expectRefused(
      await call(`DPoP ${token}`, 'not.a-proof'),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
  });

  it('refuses a replayed proof (the same jti twice)', async () => {
    const token = await boundToken();
    const once = await proof(key, token);
    expect((await call(`DPoP ${token}`, once)).statusCode).toBe(200);
    await expectRefused(await call(`DPoP ${token}`, once), 'GH_API_DPOP_PROOF_INVALID', 'invalid_dpop_proof');
  });

  it('refuses a proof re-targeted to another URL or method', async () => {
    const token = await boundToken();
    for (const htu of [
      'https://api.shop.example/profile',
      'https://evil.example/orders',
      'http://api.shop.example/orders',
    ]) {
      await expectRefused(
        await call(`DPoP ${token}`, await proof(key, token, { htu })),
        'GH_API_DPOP_PROOF_INVALID',
        'invalid_dpop_proof',
      );
    }
    await expectRefused(
      await call(`DPoP ${token}`, await proof(key, token, { htm: 'GET' }), { method: 'POST' }),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
  });

  it('uses the request host without publicBaseUrl', async () => {
    const token = await boundToken();
    const htu = 'http://orders.internal:8080/orders';
    const ok = await call(`DPoP ${token}`, await proof(key, token, { htu }), {
      target: nonceApp,
      host: 'orders.internal:8080',
    });
    // nonceApp also wants a nonce: the URL passed, the nonce is what it asks for.
    expect(ok.statusCode).toBe(401);
    expect(ok.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    const nonce = String(ok.headers['dpop-nonce']);
    const other = await call(`DPoP ${token}`, await proof(key, token, { htu, nonce }), {
      target: nonceApp,
      host: 'elsewhere:8080',
    });
    await expectRefused(other, 'GH_API_DPOP_PROOF_INVALID', 'invalid_dpop_proof');
  });

  it('refuses a stale or future iat (outside dpopWindowSeconds)', async () => {
    const token = await boundToken();
    for (const iat of [now() - 120, now() + 120]) {
      await expectRefused(
        await call(`DPoP ${token}`, await proof(key, token, { iat })),
        'GH_API_DPOP_PROOF_INVALID',
        'invalid_dpop_proof',
      );
    }
  });

  it('refuses a proof by another key (thumbprint is not cnf.jkt), and a token bound to another key', async () => {
    const token = await boundToken();
    const thief = await client();
    await expectRefused(
      await call(`DPoP ${token}`, await proof(key, token, { signer: thief })),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
    // The proof's embedded key must also be the signing key.
    const mismatched = await proof(key, token, { signer: thief, headerJwk: key.jwk });
    await expectRefused(
      await call(`DPoP ${token}`, mismatched),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
  });

  it('refuses a proof without ath or with the hash of another token', async () => {
    const token = await boundToken();
    const other = await boundToken();
    for (const wrong of [null, ath(other)]) {
      await expectRefused(
        await call(`DPoP ${token}`, await proof(key, token, { ath: wrong })),
        'GH_API_DPOP_PROOF_INVALID',
        'invalid_dpop_proof',
      );
    }
  });

  it('refuses a proof of another type, a symmetric or private key, and a malformed cnf', async () => {
    const token = await boundToken();
    await expectRefused(
      await call(`DPoP ${token}`, await proof(key, token, { typ: 'JWT' })),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
    const secret = new TextEncoder().encode('a-shared-secret-of-thirty-two-bytes!');
    // A symmetric key in the header: what a client would need to forge proofs with a shared secret.
    const symmetricJwk: JWK = { kty: 'oct', k: base64url.encode(secret) };
    const hmac = await new SignJWT({
      htm: 'GET',
      htu: 'https://api.shop.example/orders',
      jti: randomUUID(),
      ath: ath(token),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: symmetricJwk })
      .setIssuedAt()
      .sign(secret);
    await expectRefused(await call(`DPoP ${token}`, hmac), 'GH_API_DPOP_PROOF_INVALID', 'invalid_dpop_proof');
    const privateJwk = await exportJWK(key.privateKey);
    const leaked = await new SignJWT({
      htm: 'GET',
      htu: 'https://api.shop.example/orders',
      jti: randomUUID(),
      ath: ath(token),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk })
      .setIssuedAt()
      .sign(key.privateKey);
    await expectRefused(
      await call(`DPoP ${token}`, leaked),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
    const malformed = await issuer.accessToken('alice', { cnf: { jkt: 'short' } });
    const response = await call(`DPoP ${malformed}`, await proof(key, malformed));
    expect(response.statusCode).toBe(401);
    expect(audit.events.at(-1)?.reason).toBe('GH_API_TOKEN_CLAIM_INVALID');
  });

  it('asks for a nonce when dpopNonce is on (use_dpop_nonce, DPoP-Nonce), then accepts it', async () => {
    const token = await boundToken();
    const htu = 'http://localhost/orders';
    const first = await call(`DPoP ${token}`, await proof(key, token, { htu }), { target: nonceApp });
    await expectRefused(first, 'GH_API_DPOP_NONCE_REQUIRED', 'use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    const wrong = await call(`DPoP ${token}`, await proof(key, token, { htu, nonce: 'made-up' }), {
      target: nonceApp,
    });
    await expectRefused(wrong, 'GH_API_DPOP_NONCE_REQUIRED', 'use_dpop_nonce');
    const ok = await call(`DPoP ${token}`, await proof(key, token, { htu, nonce: String(nonce) }), {
      target: nonceApp,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['dpop-nonce']).toBe(nonce);
  });

  it('leaves bearer tokens without cnf as they were', async () => {
    const response = await call(`Bearer ${await issuer.accessToken('alice')}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['dpop-nonce']).toBeUndefined();
  });
});

describe('the proof keys the verifier remembers (imported key and thumbprint, by the proof header)', () => {
  /** A proof whose header embeds `header`'s public key but which `signer` signed. */
  const signedBy = (header: Client, signer: CryptoKey, token: string) =>
    new SignJWT({ htm: 'GET', htu: 'https://api.shop.example/orders', jti: randomUUID(), ath: ath(token) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: header.jwk })
      .setIssuedAt()
      .sign(signer);

  it('lets no other key pass once a key is remembered: the signature is checked against every proof', async () => {
    const token = await boundToken();
    const thief = await client();
    // The owner's header is remembered from an accepted proof…
    expect((await call(`DPoP ${token}`, await proof(key, token))).statusCode).toBe(200);
    // …and a proof carrying that very header, signed by another key, is still refused, again and again.
    for (let i = 0; i < 3; i++) {
      await expectRefused(
        await call(`DPoP ${token}`, await signedBy(key, thief.privateKey, token)),
        'GH_API_DPOP_PROOF_INVALID',
        'invalid_dpop_proof',
      );
    }
    expect((await call(`DPoP ${token}`, await proof(key, token))).statusCode).toBe(200);
  });

  it('keeps each key its own thumbprint: a remembered key proves nothing for a token bound to another', async () => {
    const thief = await client();
    const mine = await boundToken();
    const theirs = await boundToken(thief.jkt);
    // Both keys remembered, each from an accepted proof of its own.
    expect((await call(`DPoP ${mine}`, await proof(key, mine))).statusCode).toBe(200);
    expect((await call(`DPoP ${theirs}`, await proof(thief, theirs))).statusCode).toBe(200);
    await expectRefused(
      await call(`DPoP ${mine}`, await proof(thief, mine)),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
    await expectRefused(
      await call(`DPoP ${theirs}`, await proof(key, theirs)),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
  });

  it('still refuses a private key in the header after its public half was remembered', async () => {
    const token = await boundToken();
    expect((await call(`DPoP ${token}`, await proof(key, token))).statusCode).toBe(200);
    const leaked = await proof(key, token, { headerJwk: await exportJWK(key.privateKey) });
    await expectRefused(
      await call(`DPoP ${token}`, leaked),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
  });

  it('still verifies every key after more distinct keys than it remembers (1,000)', {
    timeout: 90_000,
  }, async () => {
    const token = await boundToken();
    expect((await call(`DPoP ${token}`, await proof(key, token))).statusCode).toBe(200);
    const others = await Promise.all(Array.from({ length: 1_050 }, () => client()));
    for (const other of others) {
      const theirs = await boundToken(other.jkt);
      expect((await call(`DPoP ${theirs}`, await proof(other, theirs))).statusCode).toBe(200);
    }
    expect((await call(`DPoP ${token}`, await proof(key, token))).statusCode).toBe(200);
    await expectRefused(
      await call(`DPoP ${token}`, await signedBy(key, (others[0] as Client).privateKey, token)),
      'GH_API_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    );
  });
});
