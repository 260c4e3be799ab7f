import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/** A private JWK the provider signs with, tagged with `kid`, `alg` and `use`. */
export type SigningJwk = JWK & { kid: string; alg: string; use: 'sig' };

async function signingKey(alg: 'RS256' | 'ES256'): Promise<SigningJwk> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `dev-${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`, alg, use: 'sig' };
}

/**
 * Fresh signing keys for one start: RS256 first (ID tokens, JWT access tokens and logout tokens default to
 * it), then ES256. Nothing is persisted: tokens from an earlier start do not verify after a restart.
 */
export async function generateSigningKeys(): Promise<{ keys: SigningJwk[] }> {
  return { keys: await Promise.all([signingKey('RS256'), signingKey('ES256')]) };
}

/** Random cookie-signing keys for one start. */
export function generateCookieKeys(): string[] {
  return [randomBytes(32).toString('base64url')];
}
