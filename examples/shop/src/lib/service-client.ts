import { ApiError } from '@gatehouse/api';
import type { FastifyRequest } from 'fastify';
import { SERVICE_KEY_HEADER } from './service-key.js';

/** A call to another shop service that did not answer 2xx. */
export class ServiceCallError extends Error {
  override readonly name = 'ServiceCallError';
  constructor(
    readonly service: string,
    /** The status it answered, or 0 when it could not be reached. */
    readonly status: number,
    /** The `detail` of its problem+json answer, when it sent one. */
    readonly detail: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`${service} answered ${status || 'nothing'}${detail ? `: ${detail}` : ''}`, options);
  }
}

/** Calls one shop service on behalf of the user of `request`. */
export interface ServiceClient {
  call<T>(
    request: FastifyRequest,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T>;
}

/**
 * A client for another shop service that relays the caller's bearer token (the downstream service checks it
 * again and acts for the same user), the W3C `traceparent` (one trace across services) and the service key.
 *
 * @example
 * const orders = createServiceClient('orders', 'http://127.0.0.1:4104', key);
 * const order = await orders.call<Order>(request, 'POST', '/', draft);
 */
export function createServiceClient(
  service: string,
  baseUrl: string,
  serviceKey: string,
  timeoutMs = 5000,
): ServiceClient {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async call<T>(request: FastifyRequest, method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = {
        accept: 'application/json',
        [SERVICE_KEY_HEADER]: serviceKey,
      };
      const authorization = request.headers.authorization;
      if (typeof authorization === 'string') headers.authorization = authorization;
      const traceparent = request.headers.traceparent;
      if (typeof traceparent === 'string') headers.traceparent = traceparent;
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
      } catch (error) {
        throw new ServiceCallError(service, 0, undefined, { cause: error });
      }
      const text = await response.text();
      if (!response.ok) {
        let detail: string | undefined;
        try {
          const problem = JSON.parse(text) as { detail?: unknown };
          if (typeof problem.detail === 'string') detail = problem.detail.slice(0, 300);
        } catch {}
        throw new ServiceCallError(service, response.status, detail);
      }
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

/**
 * The answer for a failed downstream call: its 400, 401, 403, 404 and 409 keep their meaning (and detail);
 * anything else, or no answer, is 503 `upstream_unavailable`.
 */
export function apiErrorOf(error: unknown): unknown {
  if (!(error instanceof ServiceCallError)) return error;
  const options = { cause: error, ...(error.detail ? { detail: error.detail } : {}) };
  switch (error.status) {
    case 400:
      return new ApiError('GH_API_BAD_REQUEST', error.message, options);
    case 401:
      return new ApiError('GH_API_TOKEN_EXPIRED', error.message, options);
    case 403:
      return new ApiError('GH_API_FORBIDDEN', error.message, options);
    case 404:
      return new ApiError('GH_API_NOT_FOUND', error.message, options);
    case 409:
      return new ApiError('GH_API_CONFLICT', error.message, options);
    default:
      // @gatehouse/api has no code of its own for "another service is down" yet: this one answers 503
      // `upstream_unavailable`, as the contract asks, with our own detail.
      return new ApiError('GH_API_ISSUER_UNAVAILABLE', error.message, {
        cause: error,
        status: 503,
        detail: `The ${error.service} service is not available.`,
      });
  }
}
