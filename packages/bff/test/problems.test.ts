import { isProblemCode, problemTable } from '@gatehouse/policy';
import { API_HEADERS, NAVIGATION_HEADERS, TestBrowser, type TestResponse } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, signIn, startStack } from './support/stack.js';

// Every error the BFF answers is a problem the browser runtime knows: a code of the one table in
// `@gatehouse/policy`, sent with that code's title. Each refusal the BFF can make on the wire is tried here.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

function expectContractProblem(answer: TestResponse, status: number, code: string) {
  expect(answer.status, `${answer.url}: ${answer.text}`).toBe(status);
  expect(answer.header('content-type')).toMatch(/^application\/problem\+json/);
  const body = answer.json<{ code: unknown; title: unknown; type: unknown; status: unknown }>();
  expect(isProblemCode(body.code), `code ${String(body.code)}`).toBe(true);
  expect(body).toMatchObject({ code, status, type: `urn:gatehouse:problem:${code}` });
  expect(body.title).toBe(problemTable[code as keyof typeof problemTable].title);
}

describe('problem+json answers of the BFF', () => {
  it('name codes of the contract, each with its title and a status of its own where it has one', async () => {
    const anonymous = new TestBrowser();
    const url = (path: string) => `${stack.bffUrl}${path}`;
    const cases: Array<[Promise<TestResponse>, number, string]> = [
      [anonymous.request(url('/api/echo/x'), { headers: API_HEADERS }), 401, 'unauthenticated'],
      [anonymous.request(url('/api/echo/x')), 403, 'csrf_failed'],
      [anonymous.request(url('/api/nope/x'), { headers: API_HEADERS }), 404, 'not_found'],
      [
        anonymous.request(url('/api/echo/x'), { method: 'TRACE', headers: API_HEADERS }),
        405,
        'method_not_allowed',
      ],
      [anonymous.request(url('/api/echo/a%2Fb'), { headers: API_HEADERS }), 400, 'bad_request'],
      [
        anonymous.request(url('/api/open/x'), {
          method: 'POST',
          headers: { ...API_HEADERS, 'content-type': 'text/plain' },
          body: 'x',
        }),
        415,
        'unsupported_media_type',
      ],
      [anonymous.request(url('/auth/logout'), { headers: NAVIGATION_HEADERS }), 405, 'method_not_allowed'],
      [
        anonymous.request(url('/auth/logout'), {
          method: 'POST',
          headers: { ...API_HEADERS, 'content-type': 'text/plain' },
          body: 'x',
        }),
        415,
        'unsupported_media_type',
      ],
      [
        anonymous.request(url('/auth/session/extend'), { method: 'POST', headers: API_HEADERS }),
        401,
        'unauthenticated',
      ],
      [anonymous.request(url('/nothing/here.js')), 404, 'not_found'],
      [
        anonymous.request(url('/telemetry'), {
          method: 'POST',
          headers: { ...API_HEADERS, 'content-type': 'application/json' },
          body: JSON.stringify({ events: 'all' }),
        }),
        400,
        'bad_request',
      ],
    ];
    for (const [answer, status, code] of cases) expectContractProblem(await answer, status, code);
  });

  it('a signed-in session that ended answers session_expired, and rate limits answer too_many_requests', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    // The logout clears the browser's cookie: keep it to replay by hand.
    const cookie = await browser.jar.getCookieString(stack.bffUrl);
    await browser.request(`${stack.bffUrl}/auth/logout`, { method: 'POST', headers: API_HEADERS });
    const expired = await new TestBrowser().request(`${stack.bffUrl}/api/echo/x`, {
      headers: { ...API_HEADERS, cookie },
    });
    expectContractProblem(expired, 401, 'session_expired');

    const flood = new TestBrowser();
    let last: TestResponse | undefined;
    for (let i = 0; i < 61; i++) {
      last = await flood.request(`${stack.bffUrl}/telemetry`, {
        method: 'POST',
        headers: { ...API_HEADERS, 'content-type': 'application/json' },
        body: JSON.stringify({ events: [{ type: 'logged_in' }] }),
      });
    }
    expectContractProblem(last as TestResponse, 429, 'too_many_requests');
  });
});
