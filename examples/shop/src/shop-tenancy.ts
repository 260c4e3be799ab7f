/**
 * How the shop scopes access tokens to the organisation the user works in: the BFF asks the dev IdP for each
 * token with `organization=<active tenant>` (its `tenantTokenParameter`), the dev IdP puts it in `org_id`, and
 * every shop API reads that claim (`activeTenantClaim`): the org API acts only in that tenant, and checkout
 * files an order under it. One definition for both ends.
 */
export const shopTenantTokens = Object.freeze({ parameter: 'organization', claim: 'org_id' } as const);
