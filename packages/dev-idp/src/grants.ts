/** The grant type of OAuth 2.0 Token Exchange (RFC 8693 §2.1), which a dev IdP client may register. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The one token type the dev IdP exchanges and issues by token exchange: an access token (RFC 8693 §3). */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** The grants a dev IdP client may register; every client must hold `authorization_code`. */
export const CLIENT_GRANT_TYPES = ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT] as const;

/** One of {@link CLIENT_GRANT_TYPES}. */
export type ClientGrantType = (typeof CLIENT_GRANT_TYPES)[number];
