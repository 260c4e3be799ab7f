import type { SessionRecord } from './types.js';

/** Who holds a session's tokens at the issuer: enough to tell whether two sessions may share one grant. */
export type GrantHolder = Pick<SessionRecord, 'iss' | 'sub' | 'sid'>;

/**
 * True when the refresh tokens of `ended` and `staying` may belong to one grant at the issuer: same issuer,
 * same user, and not two different issuer sessions (`sid`; unknown counts as the same).
 *
 * Why it matters: issuers keep one grant per user, client and issuer session, and a new sign-in in the same
 * browser (a step-up, a re-login) gets its tokens from that same grant. Revoking a refresh token revokes its
 * grant (oidc-provider's default `revokeGrantPolicy`; Keycloak ends the client session), so revoking the
 * replaced session's token would end the new session too, seconds after it began. Such a token is never
 * revoked: it is deleted from the store, and no one else ever held it.
 */
export function mayShareGrant(ended: GrantHolder, staying: GrantHolder): boolean {
  if (ended.iss !== staying.iss || ended.sub !== staying.sub) return false;
  return ended.sid === undefined || staying.sid === undefined || ended.sid === staying.sid;
}
