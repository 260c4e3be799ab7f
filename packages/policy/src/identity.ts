import type { Permission } from './permissions.js';

/** A user's membership of one tenant (an organisation) and what it allows there. */
export interface TenantMembership {
  readonly id: string;
  readonly roles: readonly string[];
  readonly permissions: readonly Permission[];
}

/** The minimal, token-free description of the signed-in user that the shell and remotes see. */
export interface IdentityUser {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  readonly permissions: readonly Permission[];
  readonly tenants: readonly TenantMembership[];
  /**
   * The tenant the user works in for this session: one of `tenants` (their first until they switch with
   * `POST /auth/tenant`); absent when they have none. Set by the BFF in the identity context only; a token's
   * claims never carry it.
   */
  readonly activeTenant?: string;
  readonly locale?: string;
  readonly currency?: string;
}

/** The identity context of docs/http-contract.md#identity-context: what `GET /auth/session` answers and the shell page inlines. */
export type IdentityContext =
  | { readonly isAuthenticated: false }
  | {
      readonly isAuthenticated: true;
      readonly user: IdentityUser;
      readonly session: {
        readonly expiresAt: string;
        /**
         * How the user last signed in: the issuer's `acr` (authentication context class), when it says. A
         * remote compares it with what a call needs before asking for a step-up.
         */
        readonly acr?: string;
        /** When the user last authenticated at the issuer (epoch seconds), when it says. */
        readonly authTime?: number;
      };
    };

/** The identity context of an anonymous visitor. */
export const anonymousIdentity: IdentityContext = Object.freeze({ isAuthenticated: false });
