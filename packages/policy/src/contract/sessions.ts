/**
 * The user's own sessions as `GET /auth/sessions` lists them, and how they are ended: one module for the BFF
 * that answers and the remotes that show the list.
 */

/** One of the user's sessions. Its `handle` names it for `DELETE /auth/sessions/{handle}` and nothing else. */
export interface SessionSummary {
  /**
   * A hash of the session id (72 bits, base64url): it names the session in this list and cannot be used as a
   * session cookie or to find the id.
   */
  readonly handle: string;
  /** What it was signed in with, coarsely (`Firefox on Linux`). */
  readonly device: string;
  /** ISO times of the sign-in and of the last request seen (updated coarsely). */
  readonly createdAt: string;
  readonly lastSeenAt: string;
  /** True for the session of the browser asking. */
  readonly current: boolean;
}

/** Where the user's sessions are listed and ended (`/{handle}`, or `/others` for every other one). */
export const sessionsPath = '/auth/sessions';

/** The shape of a {@link SessionSummary.handle}. */
export const sessionHandlePattern = '^[A-Za-z0-9_-]{12}$';

/**
 * The permission that lets an operator end every session of another user
 * (`DELETE /auth/admin/users/{sub}/sessions`).
 */
export const endAnySessionsPermission = 'sessions:end_any' as const;
