import {
  asymmetricJwsAlgorithms,
  type CredentialChangeType,
  type SsfErrorCode,
  type SsfEventType,
  setType,
  ssfConfigurationPath,
  ssfEventTypes,
} from '@gatehouse/policy';
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { BffError } from './errors.js';

/** A JSON object: not null, not an array. */
const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown, max = 1024): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;

/** How long a request to the transmitter (its configuration, its keys) may take. */
const REQUEST_TIMEOUT_MS = 10_000;

/** A pushed SET the BFF refuses: the RFC 8935 error code (`err`) and why, with the HTTP status. */
export class SetRefusedError extends BffError {
  readonly err: SsfErrorCode;

  constructor(err: SsfErrorCode, message: string, cause?: unknown) {
    super('GH_BFF_SET_REFUSED', message, {
      status: err === 'authentication_failed' ? 401 : 400,
      problem: err === 'authentication_failed' ? 'unauthenticated' : 'bad_request',
      cause,
    });
    this.err = err;
  }
}

/** Who the SET is about, as far as sessions go: a user at an issuer, and one of their sessions there. */
export interface SetSubject {
  readonly iss: string;
  readonly sub?: string;
  readonly sid?: string;
}

/** A SET that verified: its `jti`, and each event it carries with the event's own members. */
export interface VerifiedSet {
  readonly iss: string;
  readonly jti: string;
  readonly events: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** The subject of the SET (`sub_id`), else `undefined`; an event may name its own (CAEP's `subject`). */
  readonly subject: SetSubject | undefined;
}

/**
 * The subject of a `sub_id` (SSF 1.0) or of an event's `subject` (earlier CAEP drafts), when the BFF can match
 * it to sessions: `iss_sub` (a user), `complex` with a `user` and/or an `opaque` `session` (its `sid`, at the
 * sign-in issuer `sessionIssuer`). Any other format (email, phone, …): `undefined`.
 */
export function subjectOf(value: unknown, sessionIssuer: string): SetSubject | undefined {
  if (!isJsonObject(value)) return undefined;
  if (value.format === 'iss_sub') {
    const iss = text(value.iss);
    const sub = text(value.sub, 255);
    return iss && sub ? { iss, sub } : undefined;
  }
  if (value.format !== 'complex') return undefined;
  const user = subjectOf(value.user, sessionIssuer);
  const session = isJsonObject(value.session) && value.session.format === 'opaque' ? value.session : {};
  const sid = text(session.id, 255);
  if (user && sid) return { ...user, sid };
  return user ?? (sid ? { iss: sessionIssuer, sid } : undefined);
}

/** What the BFF does about one event: end the subject's sessions (one issuer session, or all the user's), or nothing. */
export type SignalAction = 'end_session' | 'end_user' | 'none';

/**
 * The action for an event of `type` with its members `event`, about `subject`:
 * - `session-revoked`: the session named (`sid`), else every session of the user;
 * - `credential-change`: every session of the user, unless a credential was only added (`create`);
 * - `assurance-level-change`: every session of the user (or the one named) unless it went up: a BFF cannot
 *   lower the level in tokens the issuer signed, so the user signs in again at the level they now have;
 * - RISC `account-disabled`: every session of the user;
 * - any other type: nothing (received and logged).
 */
export function actionFor(
  type: string,
  event: Readonly<Record<string, unknown>>,
  subject: SetSubject,
): SignalAction {
  const one: SignalAction = subject.sid ? 'end_session' : 'end_user';
  switch (type as SsfEventType) {
    case ssfEventTypes.sessionRevoked:
      return one;
    case ssfEventTypes.credentialChange:
      return (event.change_type as CredentialChangeType | undefined) === 'create' ? 'none' : 'end_user';
    case ssfEventTypes.assuranceLevelChange:
      return event.change_direction === 'increase' ? 'none' : one;
    case ssfEventTypes.accountDisabled:
      return 'end_user';
    default:
      return 'none';
  }
}

/** Where the BFF finds the transmitter and what it accepts of it. */
export interface SetVerifierOptions {
  /** The transmitter's issuer: every SET's `iss`. */
  readonly issuer: string;
  /** Its JWKS; unset: the `jwks_uri` of its SSF configuration, else `fallbackJwksUri`. */
  readonly jwksUri?: string;
  /** The `aud` values that name this BFF (one must be in the SET's `aud`). */
  readonly audience: readonly string[];
  /** The oldest SET accepted, in seconds since its `iat`. */
  readonly maxAge: number;
  /** The sign-in issuer's JWKS, when the transmitter is that issuer and publishes no SSF configuration. */
  readonly fallbackJwksUri: () => Promise<string | undefined>;
}

/** The SSF configuration URL of `issuer` (SSF 1.0 §7.1: the well-known path between host and path). */
export function ssfConfigurationUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.origin}${ssfConfigurationPath}${path}`;
}

/**
 * Verifies pushed SETs (RFC 8417, SSF 1.0 §4): signed with an asymmetric algorithm by a key of the
 * transmitter's JWKS, `typ` `secevent+jwt`, `iss` the transmitter, `aud` this BFF, `iat` within `maxAge`, a
 * `jti`, and an `events` object of event objects. Each failure is a {@link SetRefusedError} with its code.
 */
export class SetVerifier {
  readonly #options: SetVerifierOptions;
  #jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  constructor(options: SetVerifierOptions) {
    this.#options = options;
  }

  /** The transmitter's key set: from configuration, its SSF configuration, or the sign-in issuer's. */
  async #keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.#jwks ??= this.#findJwksUri().then(
      (uri) => createRemoteJWKSet(new URL(uri), { timeoutDuration: REQUEST_TIMEOUT_MS }),
      (error: unknown) => {
        this.#jwks = undefined;
        throw error;
      },
    );
    return this.#jwks;
  }

  async #findJwksUri(): Promise<string> {
    if (this.#options.jwksUri) return this.#options.jwksUri;
    try {
      const answer = await fetch(ssfConfigurationUrl(this.#options.issuer), {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (answer.ok) {
        const configuration: unknown = await answer.json();
        const uri = isJsonObject(configuration) ? text(configuration.jwks_uri, 2048) : undefined;
        if (uri && isJsonObject(configuration) && configuration.issuer === this.#options.issuer) return uri;
      }
    } catch {
      // No SSF configuration: the sign-in issuer's keys, when it is the transmitter.
    }
    const fallback = await this.#options.fallbackJwksUri();
    if (fallback) return fallback;
    throw new BffError('GH_BFF_ISSUER_UNAVAILABLE', 'The transmitter publishes no keys the BFF can find.', {
      status: 503,
      problem: 'upstream_unavailable',
    });
  }

  /** The verified SET, or a {@link SetRefusedError} saying which check failed. */
  async verify(token: string, sessionIssuer: string): Promise<VerifiedSet> {
    const keys = await this.#keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        typ: setType,
        algorithms: [...asymmetricJwsAlgorithms],
        maxTokenAge: this.#options.maxAge,
        clockTolerance: 30,
        requiredClaims: ['iss', 'aud', 'iat', 'jti'],
      }));
    } catch (error) {
      throw refusalOf(error);
    }
    if (payload.iss !== this.#options.issuer)
      throw new SetRefusedError('invalid_issuer', 'the SET is not from the configured transmitter');
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.some((aud) => typeof aud === 'string' && this.#options.audience.includes(aud)))
      throw new SetRefusedError('invalid_audience', 'the SET is not for this receiver');
    const jti = text(payload.jti, 256);
    if (!jti) throw new SetRefusedError('invalid_request', 'the SET has no usable jti');
    const events = isJsonObject(payload.events) ? Object.entries(payload.events) : [];
    if (events.length === 0 || events.length > 16 || !events.every(([, event]) => isJsonObject(event)))
      throw new SetRefusedError('invalid_request', 'the SET carries no events object of event objects');
    return {
      iss: this.#options.issuer,
      jti,
      events: new Map(events as [string, Record<string, unknown>][]),
      subject: subjectOf(payload.sub_id, sessionIssuer),
    };
  }
}

/**
 * The RFC 8935 code of a failed verification; keys that cannot be fetched are the BFF's trouble, not the
 * SET's: 503, so the transmitter delivers it again.
 */
function refusalOf(error: unknown): BffError {
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  )
    return new SetRefusedError('invalid_key', 'the SET is not signed by a key of the transmitter', error);
  if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError))
    return new BffError('GH_BFF_ISSUER_UNAVAILABLE', "The transmitter's keys cannot be fetched.", {
      status: 503,
      problem: 'upstream_unavailable',
      cause: error,
    });
  return new SetRefusedError('invalid_request', `the SET does not verify: ${error.message}`, error);
}
