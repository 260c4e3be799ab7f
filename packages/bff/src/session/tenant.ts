import type { SessionRecord, SessionTokens } from './types.js';

/**
 * The tenant the session works in: the one the user switched to while they are still a member of it, else
 * their first tenant (the issuer's order), else none. Computed at each read rather than stored at sign-in, so
 * that a refresh that takes a membership away (or gives the first one) moves the active tenant with it, and
 * the `identity-changed` that the refresh announces carries the move to the tabs.
 *
 * @example
 * activeTenantOf({ user: { tenants: [{ id: 'acme', … }, { id: 'globex', … }] }, activeTenant: 'globex' }) // 'globex'
 * activeTenantOf({ user: { tenants: [{ id: 'acme', … }] }, activeTenant: 'globex' })                      // 'acme'
 */
export function activeTenantOf(record: Pick<SessionRecord, 'user' | 'activeTenant'>): string | undefined {
  const { tenants } = record.user;
  return tenants.find(({ id }) => id === record.activeTenant)?.id ?? tenants[0]?.id;
}

/**
 * `record` with `tenant` as its active tenant (none: `undefined`) and, with `expireTokens`, every access token
 * due for refresh (`refreshAt` 0): what the stores' `setActiveTenant` writes.
 */
export function withActiveTenant(
  record: SessionRecord,
  tenant: string | undefined,
  expireTokens = false,
): SessionRecord {
  const { activeTenant: _previous, ...rest } = record;
  const tokens = expireTokens ? dueTokens(record.tokens) : record.tokens;
  return tenant === undefined ? { ...rest, tokens } : { ...rest, tokens, activeTenant: tenant };
}

function dueTokens(tokens: SessionTokens): SessionTokens {
  const { resources } = tokens;
  return {
    ...tokens,
    refreshAt: 0,
    ...(resources === undefined
      ? {}
      : {
          resources: Object.fromEntries(
            Object.entries(resources).map(([resource, token]) => [resource, { ...token, refreshAt: 0 }]),
          ),
        }),
  };
}
