import type { IncomingMessage } from 'node:http';

/**
 * The client's address under the BFF's proxy rule (`trustProxy`: how many proxies in front append to
 * `X-Forwarded-For`): the entry the farthest trusted proxy appended, counted from the end, so entries the
 * client wrote itself are never believed; with no trusted proxy, or a chain shorter than that, the peer's
 * own address. The same rule the API proxy applies to the `X-Forwarded-For` it sends upstream. (Fastify's
 * `request.ip` is not used: Fastify 5 trusts no hop at all when `trustProxy` is a count.)
 *
 * @example
 * clientAddress(request.raw, 1) // '203.0.113.7' for `X-Forwarded-For: 10.0.0.1, 203.0.113.7`
 */
export function clientAddress(req: IncomingMessage, trustProxy: number): string {
  if (trustProxy > 0) {
    const chain = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const fromProxy = chain[chain.length - trustProxy];
    if (fromProxy) return fromProxy;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
