import type { AuthLevel } from '@gatehouse/policy';
import { decodeJwt } from 'jose';
import type { SessionRecord } from './types.js';

/**
 * How the session's user last signed in: `acr` and `auth_time` of the ID token the BFF verified at sign-in
 * (or at the last refresh that brought one). `{}` when the session has no ID token or the issuer left them
 * out. The token was verified when it was stored, so it is only decoded here.
 *
 * @example
 * authLevelOf(record) // { acr: 'urn:gatehouse:loa:2', authTime: 1765000000 }
 */
export function authLevelOf(record: Pick<SessionRecord, 'tokens'>): AuthLevel {
  const idToken = record.tokens.idToken;
  if (idToken === undefined) return {};
  try {
    const { acr, auth_time } = decodeJwt(idToken);
    return {
      ...(typeof acr === 'string' && acr.length <= 255 ? { acr } : {}),
      ...(Number.isSafeInteger(auth_time) ? { authTime: auth_time as number } : {}),
    };
  } catch {
    return {};
  }
}
