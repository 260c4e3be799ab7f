import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiError, type ApiErrorCode, apiErrorCodes, isApiError, problemFor } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('every code has a status and contract problem code, and is documented in the README', () => {
    for (const [code, info] of Object.entries(apiErrorCodes)) {
      expect(code).toMatch(/^GH_API_[A-Z_]+$/);
      expect(readme).toContain(`| \`${code}\` | ${info.status} | ${info.problem} |`);
    }
  });

  it('keeps the cause and never sends it', () => {
    const cause = new Error('jose said: secret detail');
    const error = new ApiError('GH_API_TOKEN_SIGNATURE_INVALID', 'signature invalid', { cause });
    expect(error.cause).toBe(cause);
    expect(isApiError(error, 'GH_API_TOKEN_SIGNATURE_INVALID')).toBe(true);
    expect(isApiError(new Error('x'))).toBe(false);
    expect(JSON.stringify(problemFor(error))).not.toContain('secret');
  });

  it('maps errors to problems of the contract', () => {
    const code = (c: ApiErrorCode) => problemFor(new ApiError(c, 'x')).code;
    expect(code('GH_API_TOKEN_EXPIRED')).toBe('unauthenticated');
    expect(code('GH_API_ISSUER_UNAVAILABLE')).toBe('upstream_unavailable');
    expect(problemFor(Object.assign(new Error('body/name must be string'), { validation: [{}] }))).toEqual({
      type: 'urn:gatehouse:problem:bad_request',
      title: 'Bad request',
      status: 400,
      code: 'bad_request',
      detail: 'body/name must be string',
    });
    expect(
      problemFor(Object.assign(new Error('Unsupported Media Type: text/evil'), { statusCode: 415 })),
    ).toEqual({
      type: 'urn:gatehouse:problem:unsupported_media_type',
      title: 'Unsupported media type',
      status: 415,
      code: 'unsupported_media_type',
      detail: 'The request content type is not supported.',
    });
    expect(problemFor(new TypeError('x is undefined\n    at handler (/srv/app.js:1:1)'))).toEqual({
      type: 'urn:gatehouse:problem:internal',
      title: 'Internal error',
      status: 500,
      code: 'internal',
    });
  });
});
