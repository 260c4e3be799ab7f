import { type Problem, type ProblemCode, problem, problemCodeOf, stepUpChallenge } from '@gatehouse/policy';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, apiErrorCodes } from './errors.js';
import { supportedAlgorithms } from './options.js';

export type { Problem };

const DETAILS: Partial<Record<number, string>> = {
  413: 'The request body is too large.',
  415: 'The request content type is not supported.',
};

const TOKEN_DETAIL: Record<string, string> = {
  GH_API_TOKEN_MISSING: 'A bearer access token is required.',
  GH_API_TOKEN_EXPIRED: 'The access token has expired.',
  GH_API_DPOP_BOUND: 'The access token is bound to a key: send it as "DPoP" with a DPoP proof.',
  GH_API_DPOP_UNBOUND: 'The access token is not bound to a key.',
  GH_API_DPOP_PROOF_INVALID: 'The DPoP proof is invalid.',
  GH_API_DPOP_NONCE_REQUIRED: 'The DPoP proof must carry the nonce in the DPoP-Nonce header.',
};

/** The RFC 9449 error each DPoP refusal answers in a `WWW-Authenticate: DPoP` challenge. */
const DPOP_ERRORS: Partial<Record<string, string>> = {
  GH_API_DPOP_BOUND: 'invalid_token',
  GH_API_DPOP_UNBOUND: 'invalid_token',
  GH_API_DPOP_PROOF_INVALID: 'invalid_dpop_proof',
  GH_API_DPOP_NONCE_REQUIRED: 'use_dpop_nonce',
};

/**
 * The problem an error becomes: an {@link ApiError} by its code; a Fastify validation error as
 * `bad_request` with Fastify's message (`body/name must be string`); another 4xx by its status with a fixed
 * detail; anything else as a 500 `internal` with no detail. Never a stack, a cause or a token.
 *
 * @example
 * problemFor(new ApiError('GH_API_NOT_FOUND', 'x')) // { type: 'urn:gatehouse:problem:not_found', title: 'Not found', status: 404, code: 'not_found' }
 */
export function problemFor(error: unknown, typeBase = 'urn:gatehouse:problem:'): Problem {
  const make = (status: number, code: ProblemCode, detail?: string): Problem =>
    problem(code, { status, detail, typeBase });
  if (error instanceof ApiError) {
    const detail =
      error.detail ??
      (error.problem === 'unauthenticated'
        ? (TOKEN_DETAIL[error.code] ?? 'The access token is invalid.')
        : apiErrorCodes[error.code].problem === 'upstream_unavailable'
          ? 'The identity provider cannot be reached.'
          : undefined);
    const made = make(error.status, error.problem, detail);
    return error.stepUp ? { ...made, ...error.stepUp } : made;
  }
  const fastifyError = error as Partial<FastifyError> | null;
  if (fastifyError && Array.isArray(fastifyError.validation)) {
    return make(400, 'bad_request', String(fastifyError.message ?? '').slice(0, 300) || undefined);
  }
  const status = typeof fastifyError?.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    return make(status, problemCodeOf(status), DETAILS[status] ?? 'The request could not be processed.');
  }
  return make(500, 'internal');
}

const quoted = (value: string) => value.replace(/[^\x20-\x7e]|["\\]/g, '');

/**
 * Sends `error` as `application/problem+json` with `Cache-Control: no-store`; a 401 carries
 * `WWW-Authenticate: Bearer` (with `error="invalid_token"` when a token was presented), a scope refusal
 * `error="insufficient_scope"` (RFC 6750), a step-up refusal `error="insufficient_user_authentication"` with
 * its `acr_values` and `max_age` (RFC 9470), a DPoP refusal `WWW-Authenticate: DPoP algs="…"` with `error="invalid_token"`, `"invalid_dpop_proof"` or
 * `"use_dpop_nonce"` (RFC 9449 §7.1, §8).
 *
 * @example
 * app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
 */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  options: { typeBase?: string; realm?: string } = {},
): FastifyReply {
  const problem = problemFor(error, options.typeBase);
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  else if (error instanceof ApiError)
    request.log.info({ code: error.code, reason: error.message }, 'request refused');
  const realm = options.realm ? `realm="${quoted(options.realm)}"` : '';
  const dpopError = error instanceof ApiError ? DPOP_ERRORS[error.code] : undefined;
  if (error instanceof ApiError && error.stepUp) {
    reply.header('www-authenticate', stepUpChallenge(error.stepUp, options.realm));
  } else if (dpopError) {
    const algs = `algs="${supportedAlgorithms.join(' ')}"`;
    reply.header(
      'www-authenticate',
      `DPoP ${[realm, algs, `error="${dpopError}"`].filter(Boolean).join(', ')}`,
    );
  } else if (problem.status === 401) {
    const missing = error instanceof ApiError && error.code === 'GH_API_TOKEN_MISSING';
    reply.header(
      'www-authenticate',
      `Bearer ${[realm, missing ? '' : 'error="invalid_token"'].filter(Boolean).join(', ')}`.trim(),
    );
  } else if (error instanceof ApiError && error.code === 'GH_API_INSUFFICIENT_SCOPE') {
    reply.header(
      'www-authenticate',
      `Bearer ${[realm, 'error="insufficient_scope"'].filter(Boolean).join(', ')}`,
    );
  }
  return reply
    .code(problem.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(problem);
}
