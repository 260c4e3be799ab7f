import { createHash, timingSafeEqual } from 'node:crypto';
import { Signer } from '@fastify/cookie';
import {
  loginOptionPatterns,
  type NativeTokenResponse,
  nativeHandoffLimits,
  nativeHandoffPatterns,
  nativePaths,
} from '@gatehouse/policy';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { calculatePKCECodeChallenge } from 'openid-client';
import * as T from 'typebox';
import { BffError } from '../errors.js';
import { requireJson } from '../http/guards.js';
import { pageSecurityOf, replyErrorPage } from '../pages.js';
import type { BffRouteOptions } from '../routes/route-options.js';
import type { GatehouseRuntime } from '../runtime.js';
import { newOpaqueToken, newSessionId } from '../session/ids.js';
import { sessionRef } from '../sessions.js';
import { matchNativeRedirect } from './redirect-uris.js';

/**
 * `GET /auth/native/authorize`: the app's redirect, its `state` and its PKCE challenge (S256 only); and the
 * sign-in a step-up asks for (`acr_values`, `max_age`), passed on to `/auth/login`, which checks them as for
 * a browser.
 */
const AuthorizeQuery = T.Object({
  redirect_uri: T.String({ maxLength: nativeHandoffLimits.redirectMax }),
  state: T.String({ pattern: nativeHandoffPatterns.state }),
  code_challenge: T.String({ pattern: nativeHandoffPatterns.challenge }),
  code_challenge_method: T.Literal('S256'),
  acr_values: T.Optional(T.String({ pattern: loginOptionPatterns.acrValues })),
  max_age: T.Optional(T.String({ pattern: loginOptionPatterns.maxAge })),
});

/** `GET /auth/native/complete`: the pending native sign-in this browser comes back for. */
const CompleteQuery = T.Object({ request: T.String({ pattern: '^[A-Za-z0-9_-]{32}$' }) });

/** `POST /auth/native/token`: {@link NativeTokenRequest} of `@gatehouse/policy`. */
const TokenBody = T.Object(
  {
    grant_type: T.Literal('authorization_code'),
    code: T.String({ pattern: nativeHandoffPatterns.code }),
    code_verifier: T.String({ pattern: nativeHandoffPatterns.verifier }),
    redirect_uri: T.String({ maxLength: nativeHandoffLimits.redirectMax }),
  },
  { additionalProperties: false },
);

/** What the authorize step leaves for the completion (keyed by a random id in the login's `returnTo`). */
interface PendingNative {
  readonly redirectUri: string;
  readonly state: string;
  readonly challenge: string;
}

/** What a one-time code stands for (keyed by the code's SHA-256: the store never holds a redeemable code). */
interface IssuedCode {
  readonly session: string;
  readonly redirectUri: string;
  readonly challenge: string;
}

const EXPIRED_PAGE = {
  title: 'Sign-in link expired',
  message: 'This app sign-in is unknown, already used or took too long. Start it again from the app.',
};
const NOT_SIGNED_IN_PAGE = {
  title: 'Sign-in did not finish',
  message: 'The sign-in did not complete in this browser. Start it again from the app.',
};

const codeKey = (code: string) => `native-code:${createHash('sha256').update(code).digest('base64url')}`;

function refuse(
  code: 'GH_BFF_NATIVE_REDIRECT_REFUSED' | 'GH_BFF_NATIVE_CODE_REFUSED',
  detail: string,
): never {
  throw new BffError(code, detail, { status: 400, problem: 'bad_request' });
}

/**
 * The native session handoff (OAuth 2.0 for Native Apps, RFC 8252, in front of the BFF): the app opens
 * `/auth/native/authorize` in the system browser, the user signs in as on the web, and the BFF sends the
 * browser to the app's registered redirect with a one-time code bound to the app's PKCE challenge. The app
 * redeems it at `/auth/native/token` for a session handle that only its native side keeps. The handle names a
 * session like any other: timeouts, back-channel logout, the per-user cap and refresh apply unchanged.
 */
export const nativeHandoffRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, store } = runtime;
  const security = pageSecurityOf(config);

  scope.get<{ Querystring: T.Static<typeof AuthorizeQuery> }>(
    nativePaths.authorize,
    { schema: { querystring: AuthorizeQuery } },
    async (request, reply) => {
      const { redirect_uri, state, code_challenge, acr_values, max_age } = request.query;
      const redirectUri = matchNativeRedirect(redirect_uri, config.nativeRedirectUris) && redirect_uri;
      if (!redirectUri)
        refuse('GH_BFF_NATIVE_REDIRECT_REFUSED', 'redirect_uri is not registered for this app.');
      const key = newOpaqueToken(24);
      const pending: PendingNative = { redirectUri, state, challenge: code_challenge };
      await store.putHandoff(`native-request:${key}`, JSON.stringify(pending), config.loginTimeout * 1000);
      const returnTo = `${nativePaths.complete}?request=${key}`;
      const login = new URLSearchParams({ returnTo });
      if (acr_values !== undefined) login.set('acr_values', acr_values);
      if (max_age !== undefined) login.set('max_age', max_age);
      return reply.redirect(`/auth/login?${login}`, 302);
    },
  );

  scope.get<{ Querystring: T.Static<typeof CompleteQuery> }>(
    nativePaths.complete,
    { schema: { querystring: CompleteQuery }, attachValidation: true },
    async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      const stored = request.validationError
        ? undefined
        : await store.takeHandoff(`native-request:${request.query.request}`);
      if (stored === undefined) return replyErrorPage(reply, 400, security, EXPIRED_PAGE);
      const pending = JSON.parse(stored) as PendingNative;
      const found = await request.session.active();
      if (!('record' in found)) return replyErrorPage(reply, 400, security, NOT_SIGNED_IN_PAGE);
      const session = await moveSession(runtime, found.id, found.record);
      const code = newOpaqueToken(32);
      const issued: IssuedCode = { session, redirectUri: pending.redirectUri, challenge: pending.challenge };
      await store.putHandoff(codeKey(code), JSON.stringify(issued), nativeHandoffLimits.codeTtlMs);
      const target = new URL(pending.redirectUri);
      target.searchParams.set('code', code);
      target.searchParams.set('state', pending.state);
      runtime.log.info(
        { event: 'native_handoff', sub: found.record.sub, session: sessionRef(session) },
        'session handed to a native app',
      );
      return reply.header('set-cookie', runtime.cookies.clearSession()).redirect(target.href, 302);
    },
  );

  scope.post<{ Body: T.Static<typeof TokenBody> }>(
    nativePaths.token,
    {
      schema: { body: TokenBody },
      onRequest: requireJson({ optional: false, detail: 'Send the token request as JSON.' }),
    },
    (request, reply) => redeem(runtime, request.body, request.session.id, reply),
  );
};

/**
 * Moves the browser's session to a new id for the app: the id the system browser's cookie named ends (its
 * cookie is cleared too), so the handle is the one way to the session. The record, its tokens and its
 * timeouts stay as they were; the per-user cap counts it once.
 */
async function moveSession(
  { config, sessions, store }: GatehouseRuntime,
  from: string,
  record: Parameters<GatehouseRuntime['sessions']['identity']>[0],
): Promise<string> {
  const id = newSessionId();
  const now = Date.now();
  const moved = { ...record, lastSeenAt: now };
  await store.delete(from);
  await sessions.announceEnd([from], 'logout');
  const ttl = Math.max(1000, sessions.expiresAt(moved) - now + 5000);
  const displaced = await store.create(id, moved, ttl, { maxPerUser: config.maxSessionsPerUser });
  await sessions.announceEnd(
    displaced.map((entry) => entry.id),
    'logout',
  );
  return id;
}

/**
 * `POST /auth/native/token`: takes the code (single-use: a second try finds nothing), then checks the
 * redirect it was issued for and the PKCE verifier. A code that fails either ends the session it stood for
 * (someone else holds the code). Answers the handle and the session's expiry.
 *
 * An app that signs in again while it holds a handle (a step-up, a sign-in after an expiry) sends that handle
 * (`previous`) with the request, as a browser sends its cookie to the callback: the new session replaces it,
 * and the action a remote left there (`/auth/pending`) follows when both are the same user's.
 */
async function redeem(
  runtime: GatehouseRuntime,
  body: T.Static<typeof TokenBody>,
  previous: string | undefined,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { config, log, sessions, store } = runtime;
  const stored = await store.takeHandoff(codeKey(body.code));
  if (stored === undefined) refuse('GH_BFF_NATIVE_CODE_REFUSED', 'The code is unknown, used or expired.');
  const issued = JSON.parse(stored) as IssuedCode;
  const challenge = Buffer.from(await calculatePKCECodeChallenge(body.code_verifier));
  const expected = Buffer.from(issued.challenge);
  const pkceOk = challenge.length === expected.length && timingSafeEqual(challenge, expected);
  if (!pkceOk || body.redirect_uri !== issued.redirectUri) {
    await sessions.endById(issued.session, 'logout');
    log.warn(
      { event: 'native_handoff_refused', reason: pkceOk ? 'redirect_mismatch' : 'pkce_mismatch' },
      'native code refused',
    );
    refuse('GH_BFF_NATIVE_CODE_REFUSED', 'The code does not match this verifier and redirect.');
  }
  const found = await sessions.peek(issued.session);
  if (!('record' in found)) refuse('GH_BFF_NATIVE_CODE_REFUSED', 'The session of this code has ended.');
  if (previous !== undefined && previous !== issued.session) {
    // As a browser's sign-in does (routes/login.ts): the replaced session's refresh token is left alone
    // when the new one may hold the same grant.
    await sessions.endById(previous, 'logout', found.record);
    await sessions.pending.carry(previous, issued.session, found.record);
  }
  const signer = new Signer(config.sessionSecrets as string[]);
  const answer: NativeTokenResponse = {
    handle: `${config.cookieName}=${signer.sign(issued.session)}`,
    expiresAt: new Date(sessions.expiresAt(found.record)).toISOString(),
  };
  return reply.send(answer);
}
