import { randomBytes } from 'node:crypto';

/** Bytes of randomness in a session id: 256 bits, twice the 128 bits ASVS 7.2.3 asks for. */
const SESSION_ID_BYTES = 32;

/**
 * A canonical unpadded base64url encoding of 32 bytes: 42 characters carrying 6 bits each, then one that
 * carries the last 4 bits followed by two zero bits (so only 16 of the 64 letters can end it).
 */
const SESSION_ID = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** Length of every id {@link newSessionId} makes. */
export const SESSION_ID_LENGTH = 43;

/**
 * A new session id: 256 bits from the operating system's CSPRNG, encoded as 43 characters of unpadded
 * base64url. Make a new one on every login and re-authentication; never derive it from anything.
 *
 * @example
 * const id = newSessionId(); // 'Zr0m…' (43 characters of A-Z a-z 0-9 - _)
 */
export function newSessionId(): string {
  return randomBytes(SESSION_ID_BYTES).toString('base64url');
}

/**
 * True when `value` could have come from {@link newSessionId}: exactly 43 characters of the base64url
 * alphabet in canonical form. Check this before looking anything up, so forged or oversized cookies never
 * reach the store.
 *
 * @example
 * isWellFormedSessionId(newSessionId()); // true
 * isWellFormedSessionId('../../etc/passwd'); // false
 */
export function isWellFormedSessionId(value: unknown): value is string {
  return typeof value === 'string' && value.length === SESSION_ID_LENGTH && SESSION_ID.test(value);
}

/**
 * A random opaque token of `bytes` bytes (default 32, at least 16) as unpadded base64url: OAuth `state`,
 * the login binding cookie, lock owners.
 *
 * @example
 * const state = newOpaqueToken(); // 43 characters
 * const owner = newOpaqueToken(16); // 22 characters
 */
export function newOpaqueToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) {
    throw new RangeError(`newOpaqueToken: bytes must be an integer from 16 to 1024, got ${String(bytes)}`);
  }
  return randomBytes(bytes).toString('base64url');
}
