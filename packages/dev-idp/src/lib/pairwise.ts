import { createHash } from 'node:crypto';

/** A pairwise `sub`: the same user gets a different, stable identifier at each client (sector). */
export function pairwiseSubject(salt: string, accountId: string, clientId: string): string {
  return createHash('sha256').update(`${clientId}\0${accountId}\0${salt}`).digest('base64url');
}
