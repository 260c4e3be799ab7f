/**
 * The session's active tenant and how it is switched: one module for the BFF that answers `POST /auth/tenant`
 * and the remotes that ask for it (`@gatehouse/remote/tenant`).
 */

/** Where the active tenant is switched: `POST` a {@link TenantSwitch}; the answer is the new identity context. */
export const tenantPath = '/auth/tenant';

/** The body of `POST /auth/tenant`: the id of one of the user's tenants, and nothing else. */
export interface TenantSwitch {
  readonly tenant: string;
}

/** The longest tenant id the BFF takes (the length a tenant route parameter may have). */
export const tenantIdMaxLength = 255;
