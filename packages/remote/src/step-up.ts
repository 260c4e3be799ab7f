/**
 * `@gatehouse/remote/step-up`: what a remote does when a call needs a stronger or more recent sign-in
 * (RFC 9470). A separate entry point: a shell or remote that does not import it pays nothing for it.
 *
 * The flow: the API answers 401 `insufficient_user_authentication`, the BFF turns that into the problem
 * `step_up_required` with the `acr_values` / `max_age` to sign in with; {@link withStepUp} leaves the action's
 * data at the BFF (bound to the session, never in a URL, a cookie or browser storage), signs in again with
 * those options coming back to the same route, and {@link resumeStepUp} takes the action back once and runs it
 * once more. A second refusal is thrown: the flow never loops. {@link keepOnExpiry} does the same for work
 * open when the session expires: it waits at the BFF for the same user's next sign-in.
 */

import {
  type AuthLevel,
  meetsRequirement,
  type PendingAction,
  pendingActionPath,
  type StepUpRequirement,
  stepUpRequirement,
} from '@gatehouse/policy';
import { problemError } from './api-client.js';
import type { RemoteContext } from './context.js';
import { ApiError } from './errors.js';
import { bffFetch } from './native.js';

export type { AuthLevel, PendingAction, StepUpRequirement };

/**
 * The sign-in level of the context's identity: its `acr` and `authTime` (epoch seconds) when the BFF said,
 * checked for type; `{}` when anonymous.
 *
 * @example
 * authLevel(context) // { acr: 'urn:gatehouse:loa:1', authTime: 1765000000 }
 */
export function authLevel(context: Pick<RemoteContext, 'identity'>): AuthLevel {
  const { identity } = context;
  if (!identity.isAuthenticated) return {};
  const { acr, authTime } = identity.session;
  return {
    ...(typeof acr === 'string' ? { acr } : {}),
    ...(Number.isSafeInteger(authTime) ? { authTime: authTime as number } : {}),
  };
}

/**
 * True when the user's sign-in meets `requirement` now: ask for a step-up before the call instead of after
 * its refusal.
 *
 * @example
 * if (!meetsLevel(context, { acr_values: 'urn:gatehouse:loa:2', max_age: 300 })) showStepUpHint();
 */
export function meetsLevel(
  context: Pick<RemoteContext, 'identity'>,
  requirement: StepUpRequirement,
): boolean {
  return context.identity.isAuthenticated && meetsRequirement(authLevel(context), requirement);
}

/**
 * The sign-in an error asks for, when it is the BFF's `step_up_required` problem (with its `acr_values` and
 * `max_age`, checked for shape), else `undefined`.
 *
 * @example
 * stepUpOf(error) // { acr_values: 'urn:gatehouse:loa:2', max_age: 300 }
 */
export function stepUpOf(error: unknown): StepUpRequirement | undefined {
  if (!(error instanceof ApiError) || error.code !== 'step_up_required') return undefined;
  return stepUpRequirement(error.problem.acr_values, error.problem.max_age) ?? {};
}

/**
 * `fetch` of the BFF's pending-action endpoint: same origin, `x-csrf: 1`, JSON; `keepalive`, so that a page
 * that navigates to the sign-in at once still sends it. In a hybrid app's WebView, over the native host's
 * bridge, which attaches the session the WebView does not hold.
 */
async function callPending(method: string, path: string, body?: PendingAction): Promise<Response> {
  const response = await bffFetch()(path, {
    method,
    keepalive: true,
    headers: { 'x-csrf': '1', accept: 'application/json', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.ok) return response;
  throw problemError(response.status, await response.json().catch(() => undefined));
}

/**
 * Leaves `action` with its unsent `data` at the BFF and signs in again as `requirement` says, coming back to
 * the current route; {@link resumeStepUp} runs it when the remote mounts again. The page navigates away: the
 * returned promise never settles.
 *
 * @example
 * await stepUp(context, { acr_values: 'urn:gatehouse:loa:2' }, 'save-billing', form);
 */
export async function stepUp(
  context: Pick<RemoteContext, 'name' | 'route' | 'login'>,
  requirement: StepUpRequirement,
  action: string,
  data?: unknown,
): Promise<never> {
  await callPending('POST', pendingActionPath, { remote: context.name, action, data });
  context.login(context.route.path + context.route.search, requirement);
  return new Promise<never>(() => {});
}

/**
 * Runs `run(data)`; when the API asks for a step-up, leaves the action at the BFF and signs in again with what
 * it asked ({@link stepUp}). Any other error is thrown as it is.
 *
 * @example
 * const order = await withStepUp(context, 'place-order', cart, (cart) => context.api.post('/api/orders', cart));
 */
export async function withStepUp<T, D = unknown>(
  context: Pick<RemoteContext, 'name' | 'route' | 'login'>,
  action: string,
  data: D,
  run: (data: D) => Promise<T>,
): Promise<T> {
  try {
    return await run(data);
  } catch (error) {
    const requirement = stepUpOf(error);
    if (requirement === undefined) throw error;
    return stepUp(context, requirement, action, data);
  }
}

/**
 * Keeps the remote's unsent work when the session expires under it (an idle or absolute timeout, a refresh
 * the issuer refused): on `auth:session-expired`, `draft()` is left at the BFF as `action` — nothing when it
 * answers `undefined` — and the same user's next sign-in gives it back to {@link resumeStepUp} (give it a
 * handler that shows the form again: after an expiry, nothing is sent without the user). Another user
 * signing in gets nothing; a logout drops it. Returns the function that stops it: call it at unmount.
 *
 * @example
 * const stop = keepOnExpiry(context, 'checkout-draft', () => (touched ? { address, method } : undefined));
 */
export function keepOnExpiry(
  context: Pick<RemoteContext, 'name' | 'events'>,
  action: string,
  draft: () => unknown,
): () => void {
  return context.events.on('auth:session-expired', () => {
    const data = draft();
    // Refused when the BFF saw no expiry of this session lately (it ended too long ago, or on purpose):
    // then there is nowhere the work could wait, and the signed-out view says so already.
    if (data !== undefined)
      callPending('POST', pendingActionPath, { remote: context.name, action, data }).catch(() => {});
  });
}

/** What {@link resumeStepUp} did with the action that waited. */
export interface ResumedAction<T> {
  readonly action: string;
  /** The data the action was left with (a form to show again, whatever the outcome). */
  readonly data: unknown;
  /** What the retried call answered, when it succeeded. */
  readonly result?: T;
  /** Why the retried call failed (a second `step_up_required` among them: never retried again). */
  readonly error?: unknown;
}

/**
 * Takes back the action this remote left before signing in again (once: a reload finds nothing) and runs its
 * handler once with its data. `undefined` when nothing waited or no handler knows the action.
 *
 * @example
 * const resumed = await resumeStepUp(context, { 'place-order': (cart) => context.api.post('/api/orders', cart) });
 */
export async function resumeStepUp<T>(
  context: Pick<RemoteContext, 'name'>,
  handlers: Readonly<Record<string, (data: unknown) => Promise<T>>>,
): Promise<ResumedAction<T> | undefined> {
  const response = await callPending('DELETE', `${pendingActionPath}/${encodeURIComponent(context.name)}`);
  if (response.status === 204) return undefined;
  const { action, data } = (await response.json()) as PendingAction;
  const handler = Object.hasOwn(handlers, action) ? handlers[action] : undefined;
  if (handler === undefined) return undefined;
  try {
    return { action, data, result: await handler(data) };
  } catch (error) {
    return { action, data, error };
  }
}
