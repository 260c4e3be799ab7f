/**
 * `@gatehouse/remote/sessions`: the user's sessions for an account page, through the BFF
 * (`GET /auth/sessions`, `DELETE /auth/sessions/{handle}` and `/others`). A separate entry point: nothing in a
 * bundle that does not import it.
 */

import { type SessionSummary, sessionsPath } from '@gatehouse/policy';
import { problemError } from './api-client.js';
import { bffFetch } from './native.js';

export type { SessionSummary };

/**
 * The BFF's sessions endpoints, `x-csrf: 1`: same-origin `fetch`, or the native host's bridge in a hybrid
 * app's WebView (the WebView holds no session); an error answer as a typed error.
 */
async function call(method: string, path: string): Promise<Response> {
  const response = await bffFetch()(path, { method, headers: { 'x-csrf': '1', accept: 'application/json' } });
  if (response.ok) return response;
  throw problemError(response.status, await response.json().catch(() => undefined));
}

/**
 * The user's live sessions, the most recently used first; `current` marks this browser's.
 *
 * @example
 * const sessions = await listSessions(); // [{ handle, device: 'Firefox on Linux', createdAt, lastSeenAt, current: true }]
 */
export async function listSessions(): Promise<readonly SessionSummary[]> {
  return ((await (await call('GET', sessionsPath)).json()) as { sessions: SessionSummary[] }).sessions;
}

/** Ends the session `handle` names (its open tabs are told at once). */
export async function endSession(handle: string): Promise<void> {
  await call('DELETE', `${sessionsPath}/${encodeURIComponent(handle)}`);
}

/** Ends every session of the user but this browser's; answers how many ended. */
export async function endOtherSessions(): Promise<number> {
  return ((await (await call('DELETE', `${sessionsPath}/others`)).json()) as { ended: number }).ended;
}
