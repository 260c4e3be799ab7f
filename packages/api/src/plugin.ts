import {
  createPolicy,
  type Permission,
  type Policy,
  parseTraceparent,
  type RouteAuth,
} from '@gatehouse/policy';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import {
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  type VerifyOptions,
} from './access-token-verifier.js';
import type { AuditEvent, AuditOutcome, AuditSink } from './audit.js';
import { ApiError } from './errors.js';
import {
  type RequireAuthLevelOptions,
  type RequirePermissionOptions,
  type RequireTenantPermissionOptions,
  requireAuthLevel,
  requirePermission,
  requireScope,
  requireTenantPermission,
} from './guards.js';
import { addNote, noteOf } from './lib/audit-notes.js';
import { refuseUnknownFields } from './mass-assignment.js';
import { type ApiConfig, type GatehouseApiOptions, resolveApiOptions } from './options.js';
import { type ApiPrincipal, principalFromClaims } from './principal.js';
import { sendProblem } from './problem.js';

// How a route treats the bearer token: `required` (default), `optional` (verified when sent) or `public`
// (ignored). The same three words as the shell's and the BFF's routes.
export type { RouteAuth };

/** What the plugin adds to the Fastify instance as `app.gatehouse`. */
export interface GatehouseApi {
  readonly config: ApiConfig;
  readonly verifier: AccessTokenVerifier;
  readonly policy: Policy;
  /** The configured sink, or `null` when events go to the request logger. */
  readonly auditSink: AuditSink | null;
  requirePermission(permission: Permission, options?: RequirePermissionOptions): preHandlerAsyncHookHandler;
  requireTenantPermission(
    permission: Permission,
    options?: RequireTenantPermissionOptions,
  ): preHandlerAsyncHookHandler;
  requireScope(...scopes: string[]): preHandlerAsyncHookHandler;
  requireAuthLevel(options: RequireAuthLevelOptions): preHandlerAsyncHookHandler;
  /** Writes an audit event now, filled in from the request (actor, time, trace id, route). */
  audit(
    request: FastifyRequest,
    event: Pick<AuditEvent, 'action' | 'outcome'> & Partial<AuditEvent>,
  ): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, from the verified bearer token; `null` when anonymous (optional/public routes). */
    principal: ApiPrincipal | null;
    /** The tenant checked by `requireTenantPermission` (route parameter ∩ token memberships). */
    tenant: string | null;
    /** The W3C trace id from `traceparent`, when valid. */
    traceId: string | null;
  }
  interface FastifyInstance {
    gatehouse: GatehouseApi;
  }
  interface FastifyContextConfig {
    /** Bearer token handling for this route; default `required`. */
    auth?: RouteAuth;
    /** Audit every call of this route under this action name (`orders.read`, `billing.update`). */
    audit?: string;
    /**
     * Audiences this route accepts besides the service's own: for a route another service calls with the
     * user's token it holds (a token for that service). Keep it to the routes such calls reach, behind the
     * callers' own authentication; RFC 8693 token exchange is the stricter alternative.
     */
    audiences?: readonly string[];
  }
}

const CREDENTIALS = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token and its scheme: `Bearer <token>` (RFC 6750) or `DPoP <token>` (RFC 9449 §7.1). */
function credentials(header: string | string[]): { scheme: 'Bearer' | 'DPoP'; token: string } {
  const value = Array.isArray(header) ? header[0] : header;
  const match = typeof value === 'string' && value.length <= 16_384 ? CREDENTIALS.exec(value) : null;
  if (!match?.[1] || !match[2])
    throw new ApiError('GH_API_TOKEN_MALFORMED', 'Authorization is not "Bearer <token>" or "DPoP <token>"');
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}

/** The request URL as the client addressed it: `publicBaseUrl` + path, or the request's protocol and host. */
function requestUrl(request: FastifyRequest, config: ApiConfig): string {
  const path = request.url.split(/[?#]/, 1)[0] ?? '/';
  return `${config.publicBaseUrl ?? `${request.protocol}://${request.host}`}${path}`;
}

/** What the verifier needs for this request's scheme: for `DPoP`, the one `DPoP` header and the target. */
function verifyOptions(request: FastifyRequest, config: ApiConfig, scheme: 'Bearer' | 'DPoP'): VerifyOptions {
  const audiences = request.routeOptions.config?.audiences;
  const base = audiences ? { audiences, scheme } : { scheme };
  if (scheme === 'Bearer') return base;
  const proof = request.headers.dpop;
  if (Array.isArray(proof)) throw new ApiError('GH_API_DPOP_PROOF_INVALID', 'more than one DPoP header');
  return { ...base, dpop: { proof, method: request.method, url: requestUrl(request, config) } };
}

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 ? 'denied' : 'failure';
}

function verifierFor(config: ApiConfig): AccessTokenVerifier {
  return createAccessTokenVerifier({
    issuer: config.issuer,
    audience: [...config.audiences],
    algorithms: [...config.algorithms],
    clockTolerance: config.clockTolerance,
    requireAccessTokenType: config.requireAccessTokenType,
    allowMultipleAudiences: config.allowMultipleAudiences,
    maxTokenLength: config.maxTokenLength,
    jwksCooldownMs: config.jwksCooldownMs,
    jwksCacheMaxAgeMs: config.jwksCacheMaxAgeMs,
    httpTimeoutMs: config.httpTimeoutMs,
    issuerRetryMs: config.issuerRetryMs,
    production: config.production,
    dpopWindowSeconds: config.dpopWindowSeconds,
    dpopReplayCacheSize: config.dpopReplayCacheSize,
    dpopNonce: config.dpopNonce,
    ...(config.jwksUri ? { jwksUri: config.jwksUri } : {}),
    ...(config.maxTokenAge ? { maxTokenAge: config.maxTokenAge } : {}),
  });
}

type WriteAudit = (request: FastifyRequest, event: AuditEvent) => Promise<void>;

/** Writes to the sink, or to the request logger without one; a failing sink is logged, never thrown. */
function auditWriter(sink: AuditSink | null): WriteAudit {
  return async (request, event) => {
    try {
      if (sink) await sink.write(Object.freeze(event));
      else request.log.info({ audit: event }, 'audit');
    } catch (error) {
      request.log.error({ err: error, action: event.action }, 'audit sink failed');
    }
  };
}

/** What every audit event says about the request: time, actor, route, ids. */
function baseEvent(request: FastifyRequest, status: number): Omit<AuditEvent, 'action' | 'outcome'> {
  const principal = request.principal;
  return {
    time: new Date().toISOString(),
    actor: principal ? { iss: principal.iss, sub: principal.sub } : null,
    status,
    method: request.method,
    route: request.routeOptions.url ?? '(no route)',
    requestId: request.id,
    ...(request.traceId ? { traceId: request.traceId } : {}),
    ...(request.tenant ? { tenant: request.tenant } : {}),
  };
}

/** Verifies the bearer token of every request as its route's `config.auth` asks, into `request.principal`. */
function addAuthentication(
  fastify: FastifyInstance,
  verifier: AccessTokenVerifier,
  config: ApiConfig,
  mapping: Parameters<typeof principalFromClaims>[1],
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    request.traceId = parseTraceparent(request.headers.traceparent)?.traceId ?? null;
    const mode = request.routeOptions.config?.auth ?? 'required';
    if (mode === 'public') return;
    const header = request.headers.authorization;
    try {
      if (header === undefined || header === '') {
        if (mode === 'optional') return;
        throw new ApiError('GH_API_TOKEN_MISSING', 'no Authorization header');
      }
      const { scheme, token } = credentials(header);
      const nonce = scheme === 'DPoP' ? verifier.currentDPoPNonce() : undefined;
      if (nonce) reply.header('dpop-nonce', nonce);
      const { claims } = await verifier.verify(token, verifyOptions(request, config, scheme));
      request.principal = principalFromClaims(claims, mapping);
    } catch (error) {
      const failure =
        error instanceof ApiError
          ? error
          : new ApiError('GH_API_TOKEN_MALFORMED', 'token refused', { cause: error });
      addNote(request, { authFailure: failure.code, reason: failure.code });
      throw failure;
    }
  });
}

/** Every route with a body schema refuses unknown and protected fields. */
function addBodyGuards(fastify: FastifyInstance, config: ApiConfig): void {
  fastify.addHook('onRoute', (route) => {
    const body = route.schema?.body;
    if (!body || typeof body !== 'object') return;
    const guard = refuseUnknownFields(body, config.protectedFields);
    const existing = route.preValidation;
    // After the route's own preValidation hooks, so a guard placed there (403) runs before the body check (400).
    route.preValidation = [...(Array.isArray(existing) ? existing : existing ? [existing] : []), guard];
  });
}

/** Audits the calls of routes with `config.audit`, and denials (and failed authentications when asked). */
function addResponseAudit(fastify: FastifyInstance, config: ApiConfig, writeAudit: WriteAudit): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    const note = noteOf(request);
    const routeAction = request.routeOptions.config?.audit;
    const action =
      routeAction ??
      (note?.authFailure && config.auditAuthenticationFailures
        ? 'authenticate'
        : note?.reason
          ? 'authorize'
          : undefined);
    if (!action) return payload;
    const status = reply.statusCode;
    await writeAudit(request, {
      ...baseEvent(request, status),
      action,
      outcome: outcomeOf(status),
      ...(note?.permission ? { permission: note.permission } : {}),
      ...(note?.resource ? { resource: note.resource } : {}),
      ...(note?.tenant ? { tenant: note.tenant } : {}),
      ...(note?.reason ? { reason: note.reason } : {}),
    });
    return payload;
  });
}

/** Errors (and, when asked, unknown routes) answer problem+json. */
function addProblemHandlers(fastify: FastifyInstance, config: ApiConfig): void {
  const realm = config.audiences[0];
  fastify.setErrorHandler((error, request, reply) =>
    sendProblem(request, reply, error, { typeBase: config.problemTypeBase, realm }),
  );
  if (config.notFoundHandler) {
    fastify.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, new ApiError('GH_API_NOT_FOUND', `no route ${request.method}`), {
        typeBase: config.problemTypeBase,
        realm,
      }),
    );
  }
}

const plugin: FastifyPluginAsync<GatehouseApiOptions> = async (fastify: FastifyInstance, options) => {
  const config = resolveApiOptions(options);
  // A library grants nothing by default; a deployment that forgot its role map should hear so at once.
  if (!config.production && !config.roles && !config.tenantRoles)
    fastify.log.warn(
      { event: 'no_role_map' },
      'no role map configured (roles, tenantRoles): tokens grant no permissions',
    );
  const verifier = verifierFor(config);
  const policy = options.policy ?? createPolicy();
  const sink = options.audit ?? null;
  const writeAudit = auditWriter(sink);
  const mapping = {
    rolesClaim: config.rolesClaim,
    ...(config.activeTenantClaim ? { activeTenantClaim: config.activeTenantClaim } : {}),
    ...(config.roles ? { roles: config.roles } : {}),
    ...(config.tenantRoles ? { tenantRoles: config.tenantRoles } : {}),
  };

  const api: GatehouseApi = Object.freeze({
    config,
    verifier,
    policy,
    auditSink: sink,
    requirePermission,
    requireTenantPermission,
    requireScope,
    requireAuthLevel,
    audit: (request: FastifyRequest, event: Pick<AuditEvent, 'action' | 'outcome'> & Partial<AuditEvent>) =>
      writeAudit(request, { ...baseEvent(request, event.status ?? 200), ...event }),
  });

  fastify.decorate('gatehouse', api);
  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('tenant', null);
  fastify.decorateRequest('traceId', null);
  addAuthentication(fastify, verifier, config, mapping);
  addBodyGuards(fastify, config);
  addResponseAudit(fastify, config, writeAudit);
  addProblemHandlers(fastify, config);
};

/**
 * The Fastify plugin for a domain API: every route needs a valid bearer access token unless its
 * `config.auth` says `optional` or `public`; `request.principal` holds the caller; errors answer
 * problem+json; bodies with a schema refuse unknown and protected fields; routes with `config.audit` and
 * every denial write an audit event.
 *
 * @example
 * await app.register(gatehouseApi, { issuer: 'http://localhost:4001', audience: 'urn:gatehouse:shop', audit: sink });
 * app.get('/orders/:id', { preHandler: requirePermission('orders:view'), config: { audit: 'orders.read' } }, handler);
 */
export const gatehouseApi = fp(plugin, { fastify: '5.x', name: '@gatehouse/api' });
