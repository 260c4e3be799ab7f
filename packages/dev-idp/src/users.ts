/**
 * The authentication context classes the dev IdP signs in with (its `acr_values_supported`): a password
 * alone, or a password and the user's security code. A request whose `acr_values` the current session does not
 * meet asks the user to sign in again.
 */
export const devIdpAcr = Object.freeze({
  password: 'urn:gatehouse:loa:1',
  securityCode: 'urn:gatehouse:loa:2',
} as const);

/** The security code of every demo user that sets none. */
export const DEFAULT_SECURITY_CODE = '123456';

/** A user's membership of one tenant, as the `tenants` claim carries it. */
export interface DevIdpTenant {
  readonly id: string;
  readonly roles: readonly string[];
}

/** A user the dev IdP can sign in. Claims are released under the `profile` and `email` scopes. */
export interface DevIdpUser {
  /** What the user types in the login form. */
  readonly login: string;
  /** The password; defaults to `login` (every demo user's password is their login name). */
  readonly password?: string;
  /**
   * The second factor typed beside the password for the stronger sign-in (`acr` {@link devIdpAcr}
   * `.securityCode`); defaults to `123456`. Development only, like the passwords.
   */
  readonly securityCode?: string;
  /** The `sub` claim. */
  readonly sub: string;
  /** `name` (scope `profile`). */
  readonly name: string;
  /** `email` (scope `email`). */
  readonly email: string;
  /** `email_verified` (scope `email`); defaults to `true`. */
  readonly emailVerified?: boolean;
  /** `roles` (scope `profile`), an array of global role names. */
  readonly roles: readonly string[];
  /** `tenants` (scope `profile`), `[{ id, roles }]`. */
  readonly tenants: readonly DevIdpTenant[];
  /** `locale` (scope `profile`), a BCP 47 tag. */
  readonly locale: string;
  /** `currency` (scope `profile`), an ISO 4217 code. */
  readonly currency: string;
}

/** A frozen copy of `value`, its roles and tenants included. */
export const freezeUser = (value: DevIdpUser): DevIdpUser =>
  Object.freeze({
    ...value,
    roles: Object.freeze([...value.roles]),
    tenants: Object.freeze(
      value.tenants.map((tenant) =>
        Object.freeze({ id: tenant.id, roles: Object.freeze([...tenant.roles]) }),
      ),
    ),
  });

/**
 * The seven demo users of docs/http-contract.md#demo-users. Each one's password is their login name (`alice`/`alice`, …): they
 * exist for development and tests only.
 *
 * @example
 * demoUsers.map((u) => u.login); // ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace']
 */
export const demoUsers: readonly DevIdpUser[] = Object.freeze([
  freezeUser({
    login: 'alice',
    sub: 'user_alice',
    name: 'Alice',
    email: 'alice@example.com',
    roles: ['customer'],
    tenants: [],
    locale: 'en-IN',
    currency: 'INR',
  }),
  freezeUser({
    login: 'bob',
    sub: 'user_bob',
    name: 'Bob',
    email: 'bob@example.com',
    roles: ['customer'],
    tenants: [],
    locale: 'en-US',
    currency: 'USD',
  }),
  freezeUser({
    login: 'carol',
    sub: 'user_carol',
    name: 'Carol',
    email: 'carol@example.com',
    roles: ['support'],
    tenants: [],
    locale: 'en-GB',
    currency: 'GBP',
  }),
  freezeUser({
    login: 'dave',
    sub: 'user_dave',
    name: 'Dave',
    email: 'dave@example.com',
    roles: ['store_manager'],
    tenants: [],
    locale: 'de-DE',
    currency: 'EUR',
  }),
  freezeUser({
    login: 'erin',
    sub: 'user_erin',
    name: 'Erin',
    email: 'erin@example.com',
    roles: ['admin'],
    tenants: [{ id: 'acme', roles: ['org_admin'] }],
    locale: 'fr-FR',
    currency: 'EUR',
  }),
  freezeUser({
    login: 'frank',
    sub: 'user_frank',
    name: 'Frank',
    email: 'frank@example.com',
    roles: ['customer'],
    tenants: [{ id: 'globex', roles: ['member'] }],
    locale: 'ja-JP',
    currency: 'JPY',
  }),
  // A member of two organisations, for switching the active tenant without signing in again.
  freezeUser({
    login: 'grace',
    sub: 'user_grace',
    name: 'Grace',
    email: 'grace@example.com',
    roles: ['customer'],
    tenants: [
      { id: 'acme', roles: ['member'] },
      { id: 'globex', roles: ['org_admin'] },
    ],
    locale: 'en-IN',
    currency: 'INR',
  }),
]);
