import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '@gatehouse/api';
import type { preValidationAsyncHookHandler } from 'fastify';

/** The header a shop service shows another on internal routes. The BFF never forwards an `x-gatehouse-*` header. */
export const SERVICE_KEY_HEADER = 'x-gatehouse-service-key';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * A hook for internal routes (the orders service's `POST /`, the catalog's stock reservations): only
 * another shop service, which holds `key`, may call them; anyone else gets 403, even with a valid token.
 * The caller's bearer token is still required and checked, so the user stays the one acting.
 */
export function requireServiceKey(key: string): preValidationAsyncHookHandler {
  const expected = digest(key);
  return async (request) => {
    const sent = request.headers[SERVICE_KEY_HEADER];
    if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), expected)) {
      throw new ApiError('GH_API_FORBIDDEN', 'internal route called without the service key', {
        detail: "This route is for the shop's own services.",
      });
    }
  };
}
