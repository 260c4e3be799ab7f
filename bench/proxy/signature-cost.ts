// What one DPoP proof's signature costs on this machine, timed in the bench process before the proxies run (the
// machine otherwise idle): the part of DPoP's cost that no proxy code can remove, since RFC 9449 wants a fresh
// proof, and so a fresh signature, for every request. The proxy report turns it into the bound it puts on the
// DPoP/one-token throughput ratio of a saturated core.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { summary } from '../lib/stats.js';

/** Signatures per timed batch, and batches (the median one is reported). */
const BATCH = 2_000;
const BATCHES = 7;

/**
 * Microseconds per ES256 signature of a proof-sized input by node:crypto (OpenSSL), as the BFF signs each proof
 * (`packages/bff/src/lib/proof-signer.ts`): the median of {@link BATCHES} batches after one warm-up batch.
 */
export function es256SignatureUs(): number {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = { key: privateKey, dsaEncoding: 'ieee-p1363' as const };
  // A real proof's signing input is about 450 characters: header with the public JWK, claims with htu and ath.
  const input = Buffer.from(`${'h'.repeat(230)}.${'c'.repeat(180)}${randomUUID()}`);
  const batch = (): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) sign('sha256', input, key);
    return Number(process.hrtime.bigint() - start) / 1_000 / BATCH;
  };
  batch();
  return summary(Array.from({ length: BATCHES }, batch)).p50;
}
