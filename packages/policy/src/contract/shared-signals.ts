/**
 * OpenID Shared Signals (SSF 1.0) as the BFF receives them and the dev IdP transmits them: Security Event
 * Tokens (RFC 8417) pushed over HTTP (RFC 8935) carrying CAEP and RISC events. One module, so the transmitter
 * that signs a SET and the receiver that reads it cannot disagree on a name.
 */

/** The event types the BFF acts on (CAEP 1.0 and RISC 1.0 URIs). */
export const ssfEventTypes = Object.freeze({
  /** CAEP: the user's session at the transmitter was revoked. */
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  /** CAEP: a credential of the user was created, changed, revoked or deleted. */
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  /** CAEP: the user's authentication assurance went up or down. */
  assuranceLevelChange: 'https://schemas.openid.net/secevent/caep/event-type/assurance-level-change',
  /** RISC: the user's account was disabled. */
  accountDisabled: 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
} as const);

/** One of {@link ssfEventTypes}. */
export type SsfEventType = (typeof ssfEventTypes)[keyof typeof ssfEventTypes];

/** Where the BFF receives pushed SETs (`POST`, `Content-Type: application/secevent+jwt`). */
export const ssfPushPath = '/auth/ssf/events';
/** Where a transmitter describes itself (SSF 1.0 §7.1), under its issuer. */
export const ssfConfigurationPath = '/.well-known/ssf-configuration';
/** The media type of a pushed SET (RFC 8935 §2). */
export const setMediaType = 'application/secevent+jwt';
/** The `typ` header of a SET (RFC 8417 §2.3). */
export const setType = 'secevent+jwt';
/** The delivery method URI of push (RFC 8935), as SSF names it. */
export const ssfPushDeliveryMethod = 'urn:ietf:rfc:8935';

/** A user, by issuer and subject (RFC 9493 `iss_sub`). */
export interface IssSubSubject {
  readonly format: 'iss_sub';
  readonly iss: string;
  readonly sub: string;
}

/** A user's session at the transmitter: the user and the session's id there (the ID token's `sid`). */
export interface ComplexSubject {
  readonly format: 'complex';
  readonly user: IssSubSubject;
  readonly session?: { readonly format: 'opaque'; readonly id: string };
}

/** The subjects the BFF can match to its sessions. Other formats (email, phone) are received, matched to none. */
export type SsfSubject = IssSubSubject | ComplexSubject;

/** The `change_type` of a CAEP `credential-change` event. */
export type CredentialChangeType = 'create' | 'revoke' | 'update' | 'delete';

/**
 * The error codes of a refused push (RFC 8935 §2.4 and its IANA registry), sent as the `err` member of the
 * answer with a `description`.
 */
export const ssfErrorCodes = Object.freeze([
  'invalid_request',
  'invalid_key',
  'invalid_issuer',
  'invalid_audience',
  'authentication_failed',
  'access_denied',
] as const);

/** One of {@link ssfErrorCodes}. */
export type SsfErrorCode = (typeof ssfErrorCodes)[number];
