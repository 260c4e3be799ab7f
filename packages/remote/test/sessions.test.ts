import { afterEach, describe, expect, it, vi } from 'vitest';
import { ForbiddenError } from '../src/index.js';
import { endOtherSessions, endSession, listSessions } from '../src/sessions.js';
import { stubWebKitHost } from './support/webkit-host.js';

const session = {
  handle: 'AbCdEf012_-x',
  device: 'Chrome on Linux',
  createdAt: '2026-12-07T10:00:00.000Z',
  lastSeenAt: '2026-12-07T10:05:00.000Z',
  current: true,
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('@gatehouse/remote/sessions', () => {
  it('lists and ends sessions with the page’s fetch, x-csrf on every call; an error answer is a typed error', async () => {
    const sent: Array<[string, RequestInit]> = [];
    const answers = [
      Response.json({ sessions: [session] }),
      new Response(null, { status: 204 }),
      Response.json({ ended: 2 }),
      Response.json({ code: 'forbidden', status: 403, title: 'Forbidden' }, { status: 403 }),
    ];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      sent.push([url, init]);
      return answers.shift();
    });
    expect(await listSessions()).toEqual([session]);
    await endSession('AbCdEf012_-x');
    expect(await endOtherSessions()).toBe(2);
    await expect(endSession('AbCdEf012_-y')).rejects.toBeInstanceOf(ForbiddenError);
    expect(sent.map(([url, init]) => `${init.method} ${url}`)).toEqual([
      'GET /auth/sessions',
      'DELETE /auth/sessions/AbCdEf012_-x',
      'DELETE /auth/sessions/others',
      'DELETE /auth/sessions/AbCdEf012_-y',
    ]);
    for (const [, init] of sent) expect(new Headers(init.headers).get('x-csrf')).toBe('1');
  });

  it('in a hybrid app’s WebView, goes over the native host’s bridge, never the page’s fetch', async () => {
    const answers = [
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sessions: [session] }),
      },
      { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ended":1}' },
    ];
    const sent = stubWebKitHost(() => answers.shift());
    expect(await listSessions()).toEqual([session]);
    expect(await endOtherSessions()).toBe(1);
    expect(sent).toMatchObject([
      { kind: 'request', method: 'GET', path: '/auth/sessions', headers: { 'x-csrf': '1' } },
      { kind: 'request', method: 'DELETE', path: '/auth/sessions/others', headers: { 'x-csrf': '1' } },
    ]);
  });
});
