/**
 * `@gatehouse/remote/tenant`: switches the session's active tenant through the BFF (`POST /auth/tenant`), for
 * an organisation picker. A separate entry point: nothing in a bundle that does not import it.
 *
 * The switch needs no new sign-in. Every open tab of the session follows through the shell's push channel
 * (`identity-changed`, then the shell reads the identity again): remotes see `identity.user.activeTenant`
 * change in `onAuthChange`, like any other identity change, and clear what they held for the old tenant.
 */

import { type TenantSwitch, tenantPath } from '@gatehouse/policy';
import { problemError } from './api-client.js';
import { bffFetch } from './native.js';

/** Options of {@link switchTenant}. */
export interface SwitchTenantOptions {
  /**
   * How to send the request; default the page's `fetch`, or in a hybrid app's WebView the native host's
   * bridge (the WebView holds no session: the host attaches it).
   */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/**
 * Makes `tenant`, one of `identity.user.tenants`, the session's active tenant; resolves once the BFF holds it
 * (the new identity reaches the remotes through the shell, not through this call). Throws the typed error of
 * the BFF's problem: `ForbiddenError` (403 `forbidden`) for a tenant the user is not a member of,
 * `UnauthenticatedError` (401) when the session has ended.
 *
 * @example
 * await switchTenant('globex');
 * // then, in every tab: onAuthChange(identity) with identity.user.activeTenant === 'globex'
 */
export async function switchTenant(tenant: string, options: SwitchTenantOptions = {}): Promise<void> {
  const body: TenantSwitch = { tenant };
  const response = await (options.fetch ?? bffFetch())(tenantPath, {
    method: 'POST',
    headers: { 'x-csrf': '1', accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // Read either way: an answer left unread holds its connection (and the browser's resources) until collected.
  const answer: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw problemError(response.status, answer);
}
