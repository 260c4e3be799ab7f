import { randomUUID } from 'node:crypto';
import {
  type ComplexSubject,
  type IssSubSubject,
  type SsfEventType,
  type SsfSubject,
  setMediaType,
  setType,
  ssfPushDeliveryMethod,
} from '@gatehouse/policy';
import { importJWK, SignJWT } from 'jose';
import type { SigningJwk } from './keys.js';

/** A receiver the dev IdP pushes to, as an SSF stream's delivery would name it. */
export interface SsfReceiver {
  /** The receiver's push endpoint, e.g. `http://localhost:4000/auth/ssf/events`. */
  readonly endpoint: string;
  /** The stream's `aud`: the receiver's identifier (the BFF accepts its client id or public URL). */
  readonly audience: string;
  /** The stream's `authorization_header`, sent as `Authorization` when set. */
  readonly authorization?: string;
}

/** One event to send: its type, its subject, and its own members (`change_type`, `reason_admin`, …). */
export interface SsfEvent {
  readonly type: SsfEventType | (string & {});
  readonly subject: SsfSubject;
  readonly members?: Readonly<Record<string, unknown>>;
}

/** What the receiver answered a push with. */
export interface SsfPushResult {
  readonly status: number;
  readonly body: string;
  /** The SET that was pushed (for a test that sends it again). */
  readonly set: string;
}

/**
 * The dev IdP as a Shared Signals transmitter (SSF 1.0 push, RFC 8935): it signs Security Event Tokens with
 * its current signing key (published at its `jwks_uri`) and POSTs them to a receiver. Streams are not
 * managed over HTTP: a test or `npm start` names the receiver.
 */
export interface DevIdpTransmitter {
  /** The subject of a user (`iss_sub`), or of one of their sessions at this issuer (`complex`, the `sid`). */
  subject(sub: string, sid?: string): SsfSubject;
  /** Signs a SET for `event` addressed to `receiver`, without sending it. */
  sign(receiver: Pick<SsfReceiver, 'audience'>, event: SsfEvent, options?: { iat?: number }): Promise<string>;
  /** Signs and pushes `event` to `receiver`; answers the receiver's status and body. */
  push(receiver: SsfReceiver, event: SsfEvent): Promise<SsfPushResult>;
  /** Pushes an already signed SET (a replay, a tampered one) to `receiver`. */
  pushSet(receiver: SsfReceiver, set: string): Promise<SsfPushResult>;
}

/** The SSF configuration the dev IdP publishes at `/.well-known/ssf-configuration` (SSF 1.0 §7.1). */
export function ssfConfiguration(issuer: string): Record<string, unknown> {
  return {
    spec_version: '1_0',
    issuer,
    jwks_uri: `${issuer}/jwks`,
    delivery_methods_supported: [ssfPushDeliveryMethod],
    default_subjects: 'NONE',
  };
}

/** A transmitter for `issuer` signing with the first key of `signingKey()` (it follows key rotations). */
export function createTransmitter(issuer: string, signingKey: () => SigningJwk): DevIdpTransmitter {
  const sign: DevIdpTransmitter['sign'] = async (receiver, event, options = {}) => {
    const jwk = signingKey();
    const key = await importJWK(jwk, jwk.alg);
    return new SignJWT({
      sub_id: event.subject,
      events: { [event.type]: { event_timestamp: Math.floor(Date.now() / 1000), ...event.members } },
    })
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: setType })
      .setIssuer(issuer)
      .setAudience(receiver.audience)
      .setIssuedAt(options.iat ?? Math.floor(Date.now() / 1000))
      .setJti(randomUUID())
      .sign(key);
  };
  const pushSet: DevIdpTransmitter['pushSet'] = async (receiver, set) => {
    const answer = await fetch(receiver.endpoint, {
      method: 'POST',
      headers: {
        'content-type': setMediaType,
        accept: 'application/json',
        ...(receiver.authorization ? { authorization: receiver.authorization } : {}),
      },
      body: set,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: answer.status, body: await answer.text(), set };
  };
  return Object.freeze({
    subject(sub: string, sid?: string): SsfSubject {
      const user: IssSubSubject = { format: 'iss_sub', iss: issuer, sub };
      if (sid === undefined) return user;
      const complex: ComplexSubject = { format: 'complex', user, session: { format: 'opaque', id: sid } };
      return complex;
    },
    sign,
    pushSet,
    push: async (receiver: SsfReceiver, event: SsfEvent) => pushSet(receiver, await sign(receiver, event)),
  });
}
