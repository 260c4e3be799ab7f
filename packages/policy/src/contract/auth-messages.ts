/**
 * What the BFF's push channel (`GET /auth/events`, event `auth`) sends and what the tabs of one app tell each
 * other: one set of messages, so the BFF, the shell and every remote name the same things. A message never
 * holds a token, a session id or the identity itself.
 */

/**
 * Why `auth:logged-out` fired:
 * - `user_action`: the user signed out in this tab (or another tab of this browser told it so);
 * - `logout`: the session was signed out elsewhere (another device, another BFF instance, a new sign-in);
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
  | { readonly type: 'logged-in'; readonly userId: string };

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

// The one field each message type may carry besides `type`.
const FIELD: Readonly<Record<AuthMessageType, string>> = {
  'logged-out': 'reason',
  'session-expired': 'reason',
  'session-extended': 'expiresAt',
  'logged-in': 'userId',
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
  const m = Object(value) as Record<string, unknown>;
  const type = m.type as AuthMessageType;
  const field = Object.hasOwn(FIELD, type) ? FIELD[type] : '';
  const v = m[field];
  const valid =
    type === 'logged-out'
      ? logoutReasons.includes(v as LogoutReason)
      : type === 'session-expired'
        ? v === undefined || expiryReasons.includes(v as ExpiryReason)
        : typeof v === 'string' &&
          v.length <= 256 &&
          (type === 'logged-in' ? v.length > 0 : v.length <= 40 && Date.parse(v) > 0);
  return field && valid && Object.keys(m).length === (v === undefined ? 1 : 2)
    ? ({ type, ...(v === undefined ? {} : { [field]: v }) } as AuthMessage)
    : undefined;
}
