import { createHash } from 'node:crypto';
import { EmbeddedJWK, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createProofSigner, type ProofSigner } from '../src/lib/proof-signer.js';

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

async function signerFor(alg: string, crv?: string): Promise<ProofSigner> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(crv ? { crv } : {}),
  });
  const { alg: _alg, key_ops: _ops, ext: _ext, ...jwk } = await exportJWK(publicKey);
  return createProofSigner(privateKey, { alg, typ: 'dpop+jwt', jwk });
}

async function verified(proof: string, alg: string) {
  return jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [alg] });
}

describe('the DPoP proof signer (node:crypto, header encoded once)', () => {
  for (const alg of ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'RS256']) {
    it(`signs proofs jose verifies with the embedded key: ${alg}`, async () => {
      const sign = await signerFor(alg);
      const before = Math.floor(Date.now() / 1000);
      const proof = sign('GET', 'https://orders.internal/orders/1', 'token-1');
      const { payload, protectedHeader } = await verified(proof, alg);
      expect(protectedHeader).toMatchObject({ alg, typ: 'dpop+jwt', jwk: expect.any(Object) });
      expect(protectedHeader.jwk).not.toHaveProperty('d');
      expect(payload).toEqual({
        htm: 'GET',
        htu: 'https://orders.internal/orders/1',
        ath: ath('token-1'),
        iat: expect.any(Number),
        jti: expect.any(String),
      });
      expect(Math.abs((payload.iat as number) - before)).toBeLessThanOrEqual(1);
    });
  }

  it('names the nonce when given, and gives every proof its own jti', async () => {
    const sign = await signerFor('ES256');
    const first = await verified(sign('POST', 'https://api.example/orders', 't', 'n-1'), 'ES256');
    const second = await verified(sign('POST', 'https://api.example/orders', 't'), 'ES256');
    expect(first.payload.nonce).toBe('n-1');
    expect(second.payload).not.toHaveProperty('nonce');
    expect(first.payload.jti).not.toBe(second.payload.jti);
  });

  it('gives each token its own ath: the hash remembered for one token never goes with another', async () => {
    const sign = await signerFor('ES256');
    for (const token of ['token-a', 'token-b', 'token-a', 'token-c', 'token-b']) {
      const { payload } = await verified(sign('GET', 'https://api.example/x', token), 'ES256');
      expect(payload.ath).toBe(ath(token));
    }
  });

  it('signs what it says: a proof whose claims were changed after signing does not verify', async () => {
    const sign = await signerFor('ES256');
    const [header, , signature] = sign('GET', 'https://api.example/a', 't').split('.');
    const claims = Buffer.from(
      JSON.stringify({ htm: 'GET', htu: 'https://api.example/b', ath: ath('t'), iat: 1, jti: 'x' }),
    ).toString('base64url');
    await expect(verified(`${header}.${claims}.${signature}`, 'ES256')).rejects.toThrow(
      'signature verification failed',
    );
  });
});
