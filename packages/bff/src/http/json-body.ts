import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies for `scope`: an empty body with a JSON content type means "no body" (a bodiless POST that still
 * says JSON), never a 400; anything else goes to Fastify's own parser, with its prototype-poisoning
 * protection.
 */
export function acceptEmptyJson(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    return parseJson(request, body as string, done);
  });
}
