/**
 * What the BFF's push channel (`GET /auth/events`, event `auth`) sends and what the tabs of one app tell each
 * other: one set of messages, so the BFF, the shell and every remote name the same things. A message never
 * holds a token, a session id or the identity itself.
 */

/**
 * Why `auth:logged-out` fired:
 * - `user_action`: the user signed out in this tab (or another tab of this browser told it so);
 * - `logout`: the session was signed out elsewhere (another device, another BFF instance, a new sign-in, or
 *   newer sign-ins of the user beyond the BFF's most sessions per user);
 * - `backchannel_logout`: the identity provider ended it (OpenID Connect Back-Channel Logout);
 * - `frontchannel_logout`: the identity provider ended it from the browser (Front-Channel Logout).
 */
export type LogoutReason = 'user_action' | 'logout' | 'backchannel_logout' | 'frontchannel_logout';

/** Every {@link LogoutReason}. */
export const logoutReasons: readonly LogoutReason[] = /* @__PURE__ */ Object.freeze([
  'user_action',
  'logout',
  'backchannel_logout',
  'frontchannel_logout',
]);

/**
 * Why a session expired on its own: the idle or the absolute limit was reached, or the identity provider
 * refused to refresh its tokens.
 */
export type ExpiryReason = 'idle_timeout' | 'absolute_timeout' | 'refresh_failed';

/** Every {@link ExpiryReason}. */
export const expiryReasons: readonly ExpiryReason[] = /* @__PURE__ */ Object.freeze([
  'idle_timeout',
  'absolute_timeout',
  'refresh_failed',
]);

/** Why the BFF ended a session: every reason it records, logs and pushes (never `user_action`, a browser's word). */
export type SessionEndReason = Exclude<LogoutReason, 'user_action'> | ExpiryReason;

/** A message of the push channel and of the tabs' channel. */
export type AuthMessage =
  | { readonly type: 'logged-out'; readonly reason: LogoutReason }
  | { readonly type: 'session-expired'; readonly reason?: ExpiryReason }
  | { readonly type: 'session-extended'; readonly expiresAt: string }
  | { readonly type: 'logged-in'; readonly userId: string }
  /**
   * The issuer describes the signed-in user differently now (roles, permissions, tenants: the BFF saw it at a
   * token refresh): read `GET /auth/session` again. The message carries no identity.
   */
  | { readonly type: 'identity-changed' };

/** Every `type` of an {@link AuthMessage}. */
export type AuthMessageType = AuthMessage['type'];

/** The messages that tell of a session's end. */
export type SessionEndMessage = Extract<AuthMessage, { readonly type: 'logged-out' | 'session-expired' }>;

/**
 * The message that tells the browser a session ended for `reason`: `logged-out` for a sign-out, by the user
 * or the identity provider; `session-expired` for a timeout or a refused refresh.
 *
 * @example
 * endMessage('backchannel_logout') // { type: 'logged-out', reason: 'backchannel_logout' }
 * endMessage('idle_timeout')       // { type: 'session-expired', reason: 'idle_timeout' }
 */
export function endMessage(reason: SessionEndReason): SessionEndMessage {
  return (expiryReasons as readonly string[]).includes(reason)
    ? { type: 'session-expired', reason: reason as ExpiryReason }
    : { type: 'logged-out', reason: reason as LogoutReason };
}

// The one field each message type may carry besides `type`, and what a valid value of it is (`undefined`: the
// field is absent).
const FIELDS: Readonly<Record<AuthMessageType, readonly [string, (value: unknown) => unknown]>> = {
  'logged-out': ['reason', (v) => logoutReasons.includes(v as LogoutReason)],
  'session-expired': ['reason', (v) => v === undefined || expiryReasons.includes(v as ExpiryReason)],
  'session-extended': ['expiresAt', (v) => typeof v === 'string' && v.length <= 40 && Date.parse(v) > 0],
  'logged-in': ['userId', (v) => typeof v === 'string' && v && v.length <= 256],
  'identity-changed': ['', (v) => v === undefined],
};

/**
 * `value` as an {@link AuthMessage}, or `undefined` when it is not exactly one: an unknown type, a reason
 * outside the closed lists, a bad date or an extra key. Whatever arrives from another tab or the network goes
 * through it before anything acts on it. (Written compactly: it is part of the browser runtime.)
 *
 * @example
 * readAuthMessage({ type: 'logged-out', reason: 'backchannel_logout' }) // the message
 * readAuthMessage({ type: 'logged-out', reason: 'backchannel' })        // undefined
 */
export function readAuthMessage(value: unknown): AuthMessage | undefined {
  const { type, ...rest } = Object(value) as Record<string, unknown>;
  // An unknown type has neither field nor check: it is refused.
  const [field, valid] = Object.hasOwn(FIELDS, type as string) ? FIELDS[type as AuthMessageType] : [];
  const v = rest[field as string];
  // Nothing but the field, if present.
  return valid?.(v) && Object.keys(rest).length === +(v !== undefined)
    ? ({ type, ...rest } as AuthMessage)
    : undefined;
}
