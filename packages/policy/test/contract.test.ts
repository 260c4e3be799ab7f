import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuthMessage,
  checkAccess,
  endMessage,
  expiryReasons,
  hasJwtShape,
  identityFromClaims,
  isProblemCode,
  loginOptionPatterns,
  loginOutcomeParam,
  loginOutcomes,
  logoutReasons,
  looksLikeCredential,
  matchRoutePattern,
  parseTraceparent,
  pathSegments,
  problem,
  problemCodeOf,
  problemCodes,
  problemTable,
  readAuthMessage,
  readLoginOutcome,
  type SessionEndReason,
  withLoginOutcome,
} from '../src/index.js';
import { users } from './demo-users.js';

describe('problem codes: one table', () => {
  it('gives every code a status and a title, and problem() builds the document from it', () => {
    expect(Object.keys(problemTable)).toEqual([...problemCodes]);
    for (const code of problemCodes) {
      expect(problemTable[code].title).toMatch(/^[A-Z][\w -]+$/);
      expect(problem(code)).toEqual({
        type: `urn:gatehouse:problem:${code}`,
        title: problemTable[code].title,
        status: problemTable[code].status,
        code,
      });
      // The status a code is sent with by default names that code back (or its family, for the 401s/403s).
      expect(problemTable[problemCodeOf(problemTable[code].status)].status).toBe(problemTable[code].status);
    }
    expect(
      problem('upstream_unavailable', { status: 504, detail: 'x', typeBase: 'https://e.example/p/' }),
    ).toEqual({
      type: 'https://e.example/p/upstream_unavailable',
      title: 'Service unavailable',
      status: 504,
      code: 'upstream_unavailable',
      detail: 'x',
    });
  });

  it('maps statuses: 405, 415 and 429 have codes of their own', () => {
    expect([401, 403, 404, 405, 409, 413, 415, 429, 502, 503, 504, 500, 501, 505].map(problemCodeOf)).toEqual(
      [
        'unauthenticated',
        'forbidden',
        'not_found',
        'method_not_allowed',
        'conflict',
        'bad_request',
        'unsupported_media_type',
        'too_many_requests',
        'upstream_unavailable',
        'upstream_unavailable',
        'upstream_unavailable',
        'internal',
        'internal',
        'internal',
      ],
    );
    expect(isProblemCode('forbidden')).toBe(true);
    for (const bad of ['toString', '__proto__', 'network_error', 'FORBIDDEN', 1, null])
      expect(isProblemCode(bad)).toBe(false);
  });

  it('gives a session store outage a code of its own; a bare 503 stays upstream_unavailable', () => {
    expect(problem('store_unavailable')).toEqual({
      type: 'urn:gatehouse:problem:store_unavailable',
      title: 'Session store unavailable',
      status: 503,
      code: 'store_unavailable',
    });
    expect(isProblemCode('store_unavailable')).toBe(true);
    // Appended, so the indices problemCodeOf keeps for the browser's bundle still name the same codes.
    expect(problemCodes.at(-1)).toBe('store_unavailable');
    expect(problemCodeOf(503)).toBe('upstream_unavailable');
  });
});

describe('auth messages: one closed list', () => {
  it('every reason the BFF can end a session for becomes a message the browser accepts', () => {
    const reasons: SessionEndReason[] = [
      ...logoutReasons.filter(
        (reason): reason is Exclude<typeof reason, 'user_action'> => reason !== 'user_action',
      ),
      ...expiryReasons,
    ];
    for (const reason of reasons) {
      const message = endMessage(reason);
      expect(readAuthMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
    }
    expect(endMessage('backchannel_logout')).toEqual({ type: 'logged-out', reason: 'backchannel_logout' });
    expect(endMessage('idle_timeout')).toEqual({ type: 'session-expired', reason: 'idle_timeout' });
  });

  it('accepts exactly the messages of the contract', () => {
    const good: AuthMessage[] = [
      { type: 'logged-out', reason: 'user_action' },
      { type: 'session-expired' },
      { type: 'session-expired', reason: 'refresh_failed' },
      { type: 'session-extended', expiresAt: '2026-12-06T10:00:00.000Z' },
      { type: 'logged-in', userId: 'user_alice' },
      { type: 'identity-changed' },
    ];
    for (const message of good) expect(readAuthMessage(message)).toEqual(message);
  });

  it('refuses an unknown type, a reason outside the lists, a bad date, a missing or an extra field', () => {
    for (const bad of [
      undefined,
      null,
      'logged-out',
      [],
      {},
      { type: 'logged-out' },
      { type: 'logged-out', reason: 'backchannel' },
      { type: 'logged-out', reason: 'user_action', token: 'x' },
      { type: 'session-expired', reason: 'logout' },
      { type: 'session-extended', expiresAt: 'tomorrow' },
      { type: 'session-extended', expiresAt: 'x'.repeat(41) },
      { type: 'session-extended' },
      { type: 'logged-in', userId: '' },
      { type: 'logged-in', userId: 7 },
      { type: 'logged-in', userId: 'u'.repeat(257) },
      { type: 'identity-changed', userId: 'user_alice' },
      { type: 'identity-changed', '': 0 },
      { type: 'identity-changed', roles: ['admin'] },
      { type: 'toString', reason: 'x' },
      { type: '__proto__' },
    ]) {
      expect(readAuthMessage(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe('looksLikeCredential', () => {
  const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln';
  it('finds JWTs, bearer credentials and token parameters; words are not credentials', () => {
    for (const yes of [
      JWT,
      `see ${JWT.slice(0, 25)}`,
      'Bearer 2YotnFZFEjr1zCsicMWpAA',
      'authorization: bearer mF_9.B5f-4.1JqM+a/b==',
      '/cb?access_token=abc',
      'refresh_token: x',
      'id_token=x',
      'logout_token=x',
      'client_secret=s3cret',
    ])
      expect(looksLikeCredential(yes), yes).toBe(true);
    for (const no of [
      '/profile/password',
      'the bearer of bad news',
      'Bearer abc',
      'V1StGXR8_Z5jdHi6eyJ-mT',
      'eyJhbGciOi',
      'token',
      'tokens=3',
      'eyJabcdefgh',
    ])
      expect(looksLikeCredential(no), no).toBe(false);
  });

  it('hasJwtShape agrees with the regular expression it replaces, on any string', () => {
    const reference = /eyJ[A-Za-z0-9_-]{8,}\./;
    const pieces = fc.constantFrom('eyJ', 'ey', 'J', 'a', 'Z', '9', '-', '_', '.', ' ', '/', 'é');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(hasJwtShape(text)).toBe(reference.test(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads adversarial megabytes in one pass (a backtracking check would not finish within the test timeout)', () => {
    // The old event-bus check took 4.5 s on 60 KB of repeated `eyJ`; quadratic work on these would take hours.
    const runs = ['eyJ'.repeat(350_000), `${'eyJa'.repeat(260_000)} `, `${'a'.repeat(1_000_000)}eyJ`];
    for (const text of runs) expect(looksLikeCredential(text)).toBe(false);
    expect(looksLikeCredential(`${'eyJ'.repeat(350_000)}.`)).toBe(true);
    expect(looksLikeCredential(`bearer${' '.repeat(500_000)}x`)).toBe(false);
  });
});

describe('parseTraceparent', () => {
  it('reads a W3C traceparent and refuses malformed ones', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
    });
    // A later version may carry more fields.
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more')?.traceId).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    for (const bad of [
      undefined,
      7,
      '',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nx: y',
      `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-${'x'.repeat(500)}`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('route patterns', () => {
  it('match decoded segments with parameters and a trailing rest', () => {
    expect(matchRoutePattern('/orders/:id', pathSegments('/orders/order%5F1')!)).toEqual({ id: 'order_1' });
    expect(matchRoutePattern('/org/:tenant/*', ['org', 'acme'])).toEqual({ tenant: 'acme', '*': '' });
    expect(matchRoutePattern('/org/:tenant/*', ['org', 'acme', 'users', 'u1'])).toEqual({
      tenant: 'acme',
      '*': 'users/u1',
    });
    expect(matchRoutePattern('/', [])).toEqual({});
    expect(matchRoutePattern('/orders/:id', ['orders'])).toBeUndefined();
    expect(matchRoutePattern('/orders', ['orders', 'x'])).toBeUndefined();
    expect(matchRoutePattern('/checkout', pathSegments('/ch%65ckout')!)).toEqual({});
    expect(pathSegments('/bad/%E0%A4%A')).toBeUndefined();
  });
});

describe('checkAccess', () => {
  it('decides roles, tenant and permissions in that order, with the policy deciding permissions', () => {
    const { alice, carol, erin, frank } = users;
    expect(checkAccess(erin, { roles: [['admin']] })).toBeUndefined();
    expect(checkAccess(alice, { roles: [['admin', 'support']] })).toEqual({ reason: 'role' });
    expect(checkAccess(carol, { roles: [['support'], ['admin']] })).toEqual({ reason: 'role' });
    expect(checkAccess(frank, { tenant: 'acme', permissions: ['users:view'] })).toEqual({ reason: 'tenant' });
    expect(checkAccess(frank, { tenant: 'globex', permissions: ['users:view'] })).toBeUndefined();
    expect(checkAccess(frank, { tenant: true })).toBeUndefined();
    expect(checkAccess(alice, { tenant: true })).toEqual({ reason: 'tenant' });
    expect(checkAccess(alice, { permissions: ['catalog:edit'] })).toEqual({
      reason: 'permission',
      permission: 'catalog:edit',
    });
    // `orders:view_any` grants `orders:view` (the policy's rule, not a string comparison).
    const viewer = identityFromClaims({ sub: 'u', roles: ['r'] }, { roles: { r: ['orders:view_any'] } });
    expect(checkAccess(viewer, { permissions: ['orders:view'] })).toBeUndefined();
  });
});

describe('login outcomes', () => {
  it('withLoginOutcome adds the outcome to a path, keeping its query and fragment, replacing an old outcome', () => {
    expect(withLoginOutcome('/', 'login_required')).toBe(`/?${loginOutcomeParam}=login_required`);
    expect(withLoginOutcome('/a?b=1&c', 'consent_required')).toBe(
      `/a?b=1&c&${loginOutcomeParam}=consent_required`,
    );
    expect(withLoginOutcome(`/a?${loginOutcomeParam}=login_required&x=%3D#h`, 'interaction_required')).toBe(
      `/a?x=%3D&${loginOutcomeParam}=interaction_required#h`,
    );
  });

  it('readLoginOutcome reads only known outcomes, whatever else the query holds', () => {
    for (const outcome of loginOutcomes) {
      expect(readLoginOutcome(withLoginOutcome('/x?y=2', outcome).slice(2))).toBe(outcome);
    }
    expect(readLoginOutcome(`?${loginOutcomeParam}=access_denied`)).toBeUndefined();
    expect(readLoginOutcome(`?${loginOutcomeParam}`)).toBeUndefined();
    expect(readLoginOutcome('')).toBeUndefined();
    expect(readLoginOutcome(`?other=${loginOutcomeParam}`)).toBeUndefined();
  });

  it('the option patterns accept what OpenID Connect allows and refuse the rest', () => {
    const matches = (pattern: string, value: string) => new RegExp(pattern).test(value);
    expect(matches(loginOptionPatterns.maxAge, '0')).toBe(true);
    expect(matches(loginOptionPatterns.maxAge, '31536000')).toBe(true);
    for (const bad of ['', '-1', '01', '1.5', '1e3', ' 1'])
      expect(matches(loginOptionPatterns.maxAge, bad)).toBe(false);
    expect(matches(loginOptionPatterns.uiLocales, 'de-CH en zh-Hant-TW')).toBe(true);
    for (const bad of ['en_US', 'en  de', ' en', 'en ', 'e1'])
      expect(matches(loginOptionPatterns.uiLocales, bad)).toBe(false);
    expect(matches(loginOptionPatterns.acrValues, 'urn:a:b 1')).toBe(true);
    for (const bad of ['a\tb', 'a  b', ' a', 'é'])
      expect(matches(loginOptionPatterns.acrValues, bad)).toBe(false);
    expect(matches(loginOptionPatterns.loginHint, 'Alice Ünal <a@b.c>')).toBe(true);
    for (const bad of ['', 'a\nb', 'a\u0000'])
      expect(matches(loginOptionPatterns.loginHint, bad)).toBe(false);
  });
});
