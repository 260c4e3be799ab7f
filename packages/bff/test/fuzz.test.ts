import { API_HEADERS } from '@gatehouse/testing';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, readTelemetry, resolveConfig } from '../src/index.js';
import { createLogger } from '../src/logger.js';
import { logSecurityReports } from '../src/reports.js';
import { SECRET, type Stack, startStack } from './support/stack.js';

// Header-safe text (what an HTTP client can actually send): visible ASCII and spaces.
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,300}$/);

describe('fuzzing the BFF’s inputs (fast-check)', () => {
  it('the cookie reader never throws and never accepts what it did not sign', () => {
    const jar = new CookieJar(resolveConfig({ sessionSecrets: [SECRET] }));
    fc.assert(
      fc.property(
        fc.oneof(
          headerText,
          headerText.map((value) => `__Host-Http-gatehouse=${value}`),
        ),
        (header) => {
          const session = jar.session(header);
          expect(['none', 'invalid']).toContain(session.kind);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('telemetry validation answers events or a problem for any JSON, never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ events: fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 25 }) }),
        ),
        (body) => {
          const result = readTelemetry(body);
          expect('events' in result || 'problem' in result).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('security-report logging accepts any JSON without throwing', () => {
    const log = createLogger('silent');
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        expect(logSecurityReports(log, body)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fuzzing the BFF over real HTTP', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers hundreds of random requests without a 500, a stack trace or a crash', async () => {
    const paths = [
      '/auth/login',
      '/auth/callback',
      '/auth/session',
      '/auth/logout',
      '/auth/backchannel-logout',
      '/auth/frontchannel-logout',
      '/auth/events',
      '/auth/session/extend',
      '/api/echo/x',
      '/api/open/y',
      '/api/nope',
      '/telemetry',
      '/reports',
      '/',
      '/orders/1',
    ];
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
        fc.constantFrom(...paths),
        fc.stringMatching(/^[A-Za-z0-9%._~=&?/-]{0,40}$/),
        headerText,
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/reports+json',
          '',
        ),
        fc.oneof(fc.json(), fc.string({ maxLength: 200 })),
        async (method, path, suffix, cookie, type, body) => {
          const headers: Record<string, string> = { ...API_HEADERS, cookie, origin: stack.bffUrl };
          if (type) headers['content-type'] = type;
          const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
          const answer = await request(`${stack.bffUrl}${path}${suffix.startsWith('?') ? suffix : ''}`, {
            method: method as 'GET',
            headers,
            body: hasBody ? body : null,
            headersTimeout: 5000,
            bodyTimeout: 5000,
          }).catch((error: Error) => ({ statusCode: 0, body: { text: async () => error.message } }));
          const text = await answer.body.text();
          seen.add(answer.statusCode);
          expect(answer.statusCode).toBeGreaterThan(0);
          expect(answer.statusCode).toBeLessThan(500);
          expect(text).not.toMatch(/\s+at .*\.(ts|js):\d+/);
        },
      ),
      { numRuns: 400 },
    );
    expect(seen.size).toBeGreaterThan(3);
    expect((await request(`${stack.bffUrl}/auth/session`)).statusCode).toBe(200);
  });
});
