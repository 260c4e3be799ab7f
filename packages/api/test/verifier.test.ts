import { createServer } from 'node:http';
import { demoRoleMaps, freePort } from '@gatehouse/testing';
import fc from 'fast-check';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  createAccessTokenVerifier,
  isApiError,
  OptionsError,
  principalFromClaims,
  resolveApiOptions,
} from '../src/index.js';
import { AUDIENCE, startTestIssuer, type TestIssuer } from './fixtures/test-issuer.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

const verifierFor = (extra: Record<string, unknown> = {}) =>
  createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, ...extra });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof ApiError ? error.code : `not an ApiError: ${String(error)}`;
  }
}

describe('createAccessTokenVerifier', () => {
  it('finds the keys by discovery and returns the verified claims', async () => {
    const verified = await verifierFor().verify(await issuer.accessToken('erin'));
    expect(verified.claims).toMatchObject({ iss: issuer.issuer, sub: 'user_erin', aud: AUDIENCE });
    expect(verified.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: issuer.kid });
    expect(issuer.requests).toContain('/.well-known/openid-configuration');
  });

  it('refetches the JWKS for an unknown kid at most once per cooldown, and picks up a rotated key', async () => {
    const verifier = verifierFor({ jwksCooldownMs: 1000 });
    await verifier.verify(await issuer.accessToken('alice'));
    const start = issuer.jwksRequests();
    const unknown = await Promise.all(
      Array.from({ length: 20 }, (_, i) => issuer.accessToken('alice', {}, { kid: `unknown-${i}` })),
    );
    for (const token of unknown)
      expect(await codeOf(verifier.verify(token))).toBe('GH_API_TOKEN_KEY_UNKNOWN');
    expect(issuer.jwksRequests() - start).toBe(0);
    const rotated = await issuer.addKey('test-key-2');
    await sleep(1100);
    const results = await Promise.all([
      ...unknown.map((token) => codeOf(verifier.verify(token))),
      codeOf(verifier.verify(await issuer.accessToken('alice', {}, { kid: 'test-key-2' }, rotated))),
    ]);
    expect(results.at(-1)).toBe('ok');
    expect(issuer.jwksRequests() - start).toBe(1);
  });

  it('answers GH_API_ISSUER_UNAVAILABLE when the issuer cannot be reached, and asks again only after a pause', async () => {
    const port = await freePort();
    let hits = 0;
    const down = createServer((_req, res) => {
      hits++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => down.listen(port, '127.0.0.1', resolve));
    const verifier = createAccessTokenVerifier({
      issuer: `http://127.0.0.1:${port}`,
      audience: AUDIENCE,
      issuerRetryMs: 60_000,
    });
    const token = await issuer.accessToken('alice', { iss: `http://127.0.0.1:${port}` });
    for (let i = 0; i < 5; i++)
      expect(await codeOf(verifier.verify(token))).toBe('GH_API_ISSUER_UNAVAILABLE');
    expect(hits).toBe(1);
    await new Promise<void>((resolve) => down.close(() => resolve()));
  });

  it('refuses a discovery document that names another issuer (mix-up)', async () => {
    const verifier = createAccessTokenVerifier({ issuer: `${issuer.issuer}/other`, audience: AUDIENCE });
    const token = await issuer.accessToken('alice', { iss: `${issuer.issuer}/other` });
    const error = await verifier.verify(token).catch((e: unknown) => e);
    expect(isApiError(error, 'GH_API_ISSUER_UNAVAILABLE')).toBe(true);
  });

  it('keeps verifying with the last keys while the issuer is down', async () => {
    const local = await startTestIssuer();
    const verifier = createAccessTokenVerifier({
      issuer: local.issuer,
      audience: AUDIENCE,
      jwksCacheMaxAgeMs: 1000,
    });
    const token = await local.accessToken('alice');
    expect(await codeOf(verifier.verify(token))).toBe('ok');
    await local.close();
    await sleep(1100);
    expect(await codeOf(verifier.verify(token))).toBe('ok');
    expect(await codeOf(verifier.verify(await local.accessToken('alice', {}, { kid: 'gone' })))).toBe(
      'GH_API_TOKEN_KEY_UNKNOWN',
    );
  });

  it('accepts typ JWT or none unless at+jwt is required', async () => {
    const token = await issuer.accessToken('alice', {}, { typ: 'JWT' });
    const bare = await issuer.accessToken('alice', {}, { typ: undefined });
    expect(await codeOf(verifierFor().verify(token))).toBe('ok');
    expect(await codeOf(verifierFor().verify(bare))).toBe('ok');
    const strict = verifierFor({ requireAccessTokenType: true });
    expect(await codeOf(strict.verify(token))).toBe('GH_API_TOKEN_TYPE_REFUSED');
    expect(await codeOf(strict.verify(bare))).toBe('GH_API_TOKEN_TYPE_REFUSED');
    expect(
      await codeOf(strict.verify(await issuer.accessToken('alice', {}, { typ: 'application/at+jwt' }))),
    ).toBe('ok');
    expect(
      await codeOf(verifierFor().verify(await issuer.accessToken('alice', {}, { typ: 'dpop+jwt' }))),
    ).toBe('GH_API_TOKEN_TYPE_REFUSED');
  });

  it('accepts one of several configured audiences, and honours maxTokenAge', async () => {
    const verifier = verifierFor({ audience: ['urn:gatehouse:orders', AUDIENCE] });
    expect(await codeOf(verifier.verify(await issuer.accessToken('alice')))).toBe('ok');
    const old = await issuer.accessToken('alice', { iat: Math.floor(Date.now() / 1000) - 3600 });
    expect(await codeOf(verifierFor({ maxTokenAge: 600 }).verify(old))).toBe('GH_API_TOKEN_EXPIRED');
  });

  it('requires sub and exp', async () => {
    expect(await codeOf(verifierFor().verify(await issuer.accessToken('alice', { sub: undefined })))).toBe(
      'GH_API_TOKEN_CLAIM_INVALID',
    );
    expect(await codeOf(verifierFor().verify(await issuer.accessToken('alice', { exp: undefined })))).toBe(
      'GH_API_TOKEN_CLAIM_INVALID',
    );
  });

  it('never throws anything but its coded errors, whatever the input (fast-check)', async () => {
    const verifier = verifierFor();
    const segment = fc.string({ maxLength: 40 }).map((s) => base64url.encode(s));
    const json = (value: unknown) => base64url.encode(JSON.stringify(value) ?? 'null');
    // Objects whose toString/valueOf are not functions: String(value) throws on them.
    const poison = fc.constantFrom({ toString: 1 }, { valueOf: null, toString: null }, [{ toString: 1 }]);
    const header = fc.record(
      {
        alg: fc.oneof(
          fc.constantFrom('RS256', 'ES256', 'PS256', 'HS256', 'none', 'EdDSA'),
          fc.jsonValue(),
          poison,
        ),
        kid: fc.oneof(fc.constant(issuer.kid), fc.string(), fc.jsonValue(), poison),
        typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'logout+jwt'), fc.jsonValue(), poison),
        crit: fc.jsonValue(),
        jku: fc.constant('http://127.0.0.1:9/jwks'),
        b64: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    const token = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc
        .tuple(
          header,
          fc.dictionary(fc.constantFrom('iss', 'aud', 'sub', 'exp', 'nbf', 'iat', 'nonce'), fc.jsonValue()),
          segment,
        )
        .map(([h, p, s]) => `${json(h)}.${json(p)}.${s}`),
      fc.tuple(header, fc.jsonValue(), segment).map(([h, p, s]) => `${json(h)}.${json(p)}.${s}`),
    );
    await fc.assert(
      fc.asyncProperty(token, async (input) => {
        const error = await verifier.verify(input).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ApiError);
        expect((error as ApiError).code).toMatch(/^GH_API_(TOKEN_|ISSUER_UNAVAILABLE)/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('options', () => {
  it('lists every problem in one coded error', () => {
    let error: unknown;
    try {
      resolveApiOptions({
        issuer: 'ftp://id.example',
        audience: '',
        clockTolerance: 3600,
        bogus: true,
      } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionsError);
    const problems = (error as OptionsError).problems.join('\n');
    expect(problems).toMatch(/issuer/);
    expect(problems).toMatch(/audience/);
    expect(problems).toMatch(/clockTolerance/);
    expect(problems).toMatch(/unknown option\(s\) bogus/);
    expect((error as OptionsError).code).toBe('GH_API_OPTIONS_INVALID');
  });

  it('refuses none, HS* and unknown algorithms, and http issuers in production', () => {
    expect(() =>
      resolveApiOptions({ issuer: 'https://id.example', audience: AUDIENCE, algorithms: ['RS256', 'none'] }),
    ).toThrow(/none refused/);
    expect(() =>
      resolveApiOptions({ issuer: 'https://id.example', audience: AUDIENCE, algorithms: ['HS256'] }),
    ).toThrow(/HS256 refused/);
    expect(() =>
      resolveApiOptions({ issuer: 'http://id.example', audience: AUDIENCE, production: true }),
    ).toThrow(/production needs an https issuer/);
    expect(() =>
      resolveApiOptions({ issuer: 'https://id.example', audience: AUDIENCE, audit: {} as never }),
    ).toThrow(/audit: needs a write/);
    const config = resolveApiOptions({ issuer: 'https://id.example', audience: AUDIENCE });
    expect(config).toMatchObject({
      algorithms: ['RS256', 'ES256', 'PS256'],
      clockTolerance: 5,
      audiences: [AUDIENCE],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });
});

describe('principalFromClaims', () => {
  const base = { iss: 'https://id.example', exp: 1 };

  it('takes permissions from the role map only, and tenants from the tenants claim', () => {
    const principal = principalFromClaims(
      {
        ...base,
        sub: 'user_frank',
        roles: ['customer'],
        permissions: ['admin:access'],
        tenants: [{ id: 'globex', roles: ['member'] }],
        scope: 'openid profile',
        client_id: 'gatehouse-bff',
      },
      demoRoleMaps,
    );
    expect(principal).toEqual({
      iss: 'https://id.example',
      sub: 'user_frank',
      id: 'user_frank',
      roles: ['customer'],
      permissions: ['checkout:place_order', 'orders:view', 'profile:edit'],
      tenants: [{ id: 'globex', roles: ['member'], permissions: ['users:view'] }],
      scope: ['openid', 'profile'],
      clientId: 'gatehouse-bff',
    });
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('reads scp arrays and a custom roles claim', () => {
    const principal = principalFromClaims(
      { ...base, sub: 'u', scp: ['orders.read', 7], groups: ['support'] },
      { rolesClaim: 'groups', ...demoRoleMaps },
    );
    expect(principal.scope).toEqual(['orders.read']);
    expect(principal.permissions).toContain('orders:view_any');
  });

  it('grants nothing without a role map: a library never hands out permissions nobody configured', () => {
    const principal = principalFromClaims({
      ...base,
      sub: 'user_erin',
      roles: ['admin'],
      tenants: [{ id: 'acme', roles: ['org_admin'] }],
    });
    expect(principal.permissions).toEqual([]);
    expect(principal.tenants).toEqual([{ id: 'acme', roles: ['org_admin'], permissions: [] }]);
  });
});

describe('regressions', () => {
  it('a header value whose toString is not a function ({"alg": {"toString": 1}}) is a coded 401, not a TypeError', async () => {
    const verifier = createAccessTokenVerifier({ issuer: 'http://127.0.0.1:9', audience: AUDIENCE });
    for (const header of [
      { alg: { toString: 1 } },
      { alg: 'RS256', typ: { toString: 1 } },
      { alg: 'RS256', kid: { valueOf: 1 } },
    ]) {
      const token = `${base64url.encode(JSON.stringify(header))}.${base64url.encode('{}')}.AAAA`;
      expect(await codeOf(verifier.verify(token))).toMatch(/^GH_API_TOKEN_/);
    }
  });
});
