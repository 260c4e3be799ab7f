import { timingSafeEqual } from 'node:crypto';
import { setMediaType, ssfPushPath } from '@gatehouse/policy';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { BffError } from '../errors.js';
import type { GatehouseRuntime } from '../runtime.js';
import {
  actionFor,
  SetRefusedError,
  type SetSubject,
  SetVerifier,
  subjectOf,
  type VerifiedSet,
} from '../shared-signals.js';
import type { BffRouteOptions } from './route-options.js';

/** A pushed SET is one compact JWS: a few kilobytes at most. */
const BODY_LIMIT = 64 * 1024;

/** RFC 8935 §2.3: a refused SET is answered with `err` and `description` in JSON, not a problem document. */
function refuse(reply: FastifyReply, error: SetRefusedError): FastifyReply {
  return reply
    .code(error.status)
    .type('application/json')
    .send({ err: error.err, description: error.message });
}

/** Whether `given` is exactly `expected`, in constant time. */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The last segment of an event type URI, for logs and metrics (`session-revoked`). */
const shortName = (type: string) => type.slice(type.lastIndexOf('/') + 1).slice(0, 64) || 'unknown';

/**
 * `POST /auth/ssf/events` (SSF 1.0 push delivery, RFC 8935): a verified SET, not seen before, ends the
 * sessions its CAEP or RISC events name, on every instance, their tabs told at once (`logged-out`,
 * `backchannel_logout`). 202 when accepted (an event about no session, or of a type the BFF does not act on,
 * included), 400 with the RFC 8935 `err` when refused, nothing ended. Registered only with `sharedSignals`.
 */
export const sharedSignalsRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, log, metrics, oidc } = runtime;
  const options = config.sharedSignals;
  if (!options) return;
  const verifier = new SetVerifier({
    issuer: options.issuer ?? config.issuer,
    ...(options.jwksUri ? { jwksUri: options.jwksUri } : {}),
    audience: options.audience ?? [config.clientId, config.origin],
    maxAge: options.maxAge,
    fallbackJwksUri: async () =>
      (options.issuer ?? config.issuer) === config.issuer
        ? (await oidc.configuration()).serverMetadata().jwks_uri
        : undefined,
  });
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    setMediaType,
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );
  scope.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-cache, no-store');
  });
  // Another media type, no body or too large a one: RFC 8935's answer, before any SET is read.
  scope.setErrorHandler((error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof BffError || (error.statusCode ?? 500) >= 500) throw error;
    log.warn({ event: 'ssf_refused', err: 'invalid_request', reason: error.code }, 'SET push not readable');
    metrics.sharedSignals.inc({ event: 'unknown', outcome: 'refused' });
    return refuse(reply, new SetRefusedError('invalid_request', `send one SET as ${setMediaType}`));
  });
  scope.post(ssfPushPath, async (request, reply) => {
    if (
      options.authorization !== undefined &&
      !sameSecret(request.headers.authorization, options.authorization)
    ) {
      log.warn(
        { event: 'ssf_refused', err: 'authentication_failed' },
        'SET push without the agreed authorization',
      );
      metrics.sharedSignals.inc({ event: 'unknown', outcome: 'refused' });
      return refuse(
        reply,
        new SetRefusedError('authentication_failed', 'the Authorization header is not the agreed one'),
      );
    }
    if (typeof request.body !== 'string' || request.body.length === 0)
      return refuse(reply, new SetRefusedError('invalid_request', `send one SET as ${setMediaType}`));
    const sessionIssuer = await oidc.issuer();
    let set: VerifiedSet;
    try {
      set = await verifier.verify(request.body.trim(), sessionIssuer);
    } catch (error) {
      if (!(error instanceof SetRefusedError)) throw error;
      log.warn({ event: 'ssf_refused', err: error.err, reason: error.message }, 'SET refused');
      metrics.sharedSignals.inc({ event: 'unknown', outcome: 'refused' });
      return refuse(reply, error);
    }
    // Acting twice on one SET could end a session the user began after the first: each `jti` acts once.
    if (!(await runtime.store.markOnce(`ssf-jti:${set.iss}:${set.jti}`, (options.maxAge + 60) * 1000))) {
      log.warn({ event: 'ssf_refused', err: 'invalid_request', reason: 'replayed' }, 'SET replayed');
      metrics.sharedSignals.inc({ event: 'unknown', outcome: 'refused' });
      return refuse(reply, new SetRefusedError('invalid_request', 'the SET was already received (jti)'));
    }
    for (const [type, event] of set.events)
      await act(runtime, type, event, set.subject ?? subjectOf(event.subject, sessionIssuer));
    return reply.code(202).send();
  });
};

/** Ends the sessions one event names; logs and counts what it did. */
async function act(
  { log, metrics, sessions }: GatehouseRuntime,
  type: string,
  event: Readonly<Record<string, unknown>>,
  subject: SetSubject | undefined,
): Promise<void> {
  const name = shortName(type);
  const action = subject ? actionFor(type, event, subject) : 'none';
  let ended = 0;
  if (subject && action === 'end_session' && subject.sid)
    ended = await sessions.endBySid(subject.iss, subject.sid, 'backchannel_logout');
  else if (subject && action !== 'none' && subject.sub)
    ended = await sessions.endBySub(subject.iss, subject.sub, 'backchannel_logout');
  metrics.sharedSignals.inc({ event: name, outcome: action === 'none' ? 'ignored' : 'acted' });
  log.info(
    { event: 'ssf_event', type: name, action, sub: subject?.sub, sessions: ended },
    action === 'none' ? 'shared signal received, nothing to end' : 'shared signal: sessions ended',
  );
}
