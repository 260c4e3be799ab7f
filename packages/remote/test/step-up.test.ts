import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestContext, problemError } from '../src/index.js';
import { authLevel, keepOnExpiry, meetsLevel, resumeStepUp, stepUpOf } from '../src/step-up.js';
import { stubWebKitHost } from './support/webkit-host.js';

const LOA2 = 'urn:gatehouse:loa:2';
const user = { id: 'user_erin', displayName: 'Erin', roles: [], permissions: [], tenants: [] };
const signedIn = (session: Record<string, unknown>) =>
  createTestContext({
    identity: {
      isAuthenticated: true,
      user,
      session: { expiresAt: new Date(Date.now() + 60_000).toISOString(), ...session },
    },
  });

describe('@gatehouse/remote/step-up', () => {
  it('stepUpOf reads the level a step_up_required problem asks for, checked for shape', () => {
    const asked = problemError(401, { code: 'step_up_required', acr_values: LOA2, max_age: 300 });
    expect(stepUpOf(asked)).toEqual({ acr_values: LOA2, max_age: 300 });
    // Members of the wrong shape are dropped; the step-up is still one.
    const odd = problemError(401, { code: 'step_up_required', acr_values: 'a\tb', max_age: -5 });
    expect(stepUpOf(odd)).toEqual({});
    expect(stepUpOf(problemError(401, { code: 'session_expired', acr_values: LOA2 }))).toBeUndefined();
    expect(stepUpOf(problemError(403, { code: 'forbidden' }))).toBeUndefined();
    expect(stepUpOf(new Error('step_up_required'))).toBeUndefined();
  });

  it('authLevel and meetsLevel read the identity’s acr and authTime: the current level, before any call', () => {
    const now = Math.floor(Date.now() / 1000);
    const strong = signedIn({ acr: LOA2, authTime: now - 30 });
    expect(authLevel(strong)).toEqual({ acr: LOA2, authTime: now - 30 });
    expect(meetsLevel(strong, { acr_values: LOA2, max_age: 60 })).toBe(true);
    expect(meetsLevel(strong, { acr_values: LOA2, max_age: 10 })).toBe(false);
    expect(meetsLevel(strong, { acr_values: 'urn:gatehouse:loa:3' })).toBe(false);
    const weak = signedIn({ acr: 'urn:gatehouse:loa:1', authTime: now });
    expect(meetsLevel(weak, { acr_values: LOA2 })).toBe(false);
    expect(meetsLevel(weak, { max_age: 60 })).toBe(true);
    // Not the types the contract says: no level at all.
    expect(authLevel(signedIn({ acr: 2, authTime: '1765000000' }))).toEqual({});
    expect(meetsLevel(createTestContext(), { max_age: 60 })).toBe(false);
    expect(authLevel(createTestContext())).toEqual({});
  });
});

describe('keepOnExpiry', () => {
  const calls: { url: string; init: RequestInit }[] = [];
  beforeEach(() => {
    calls.length = 0;
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(null, { status: 204 });
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('leaves the draft at the BFF when the session expires (keepalive, CSRF header, JSON), never on a logout', async () => {
    const context = signedIn({});
    let draft: unknown = { line1: '9 Idle Road' };
    keepOnExpiry(context, 'checkout-draft', () => draft);
    context.setIdentity(context.identity, 'logout');
    expect(calls).toEqual([]);
    context.expire();
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.url).toBe('/auth/pending');
    expect(call!.init).toMatchObject({ method: 'POST', keepalive: true, headers: { 'x-csrf': '1' } });
    expect(JSON.parse(call!.init.body as string)).toEqual({
      remote: 'test-remote',
      action: 'checkout-draft',
      data: { line1: '9 Idle Road' },
    });
    draft = undefined;
    context.expire();
    expect(calls).toHaveLength(1);
  });

  it('stops when told to (at unmount), and a refusal by the BFF is swallowed', async () => {
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ code: 'session_expired' }), { status: 401 });
    });
    const context = signedIn({});
    const stop = keepOnExpiry(context, 'checkout-draft', () => ({ seats: 3 }));
    context.expire();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls).toHaveLength(1);
    stop();
    context.expire();
    expect(calls).toHaveLength(1);
  });
});

describe('step-up in a hybrid app’s WebView: the pending action crosses the native host’s bridge', () => {
  /** What the host's WebKit handler was sent, and the BFF's answers it gives back, in order. */
  let sent: unknown[] = [];
  let answers: { status: number; headers: Record<string, string>; body: string }[] = [];
  beforeEach(() => {
    sent = stubWebKitHost(() => answers.shift());
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('leaves the action over the bridge and takes it back over the bridge, the handler run once', async () => {
    answers = [
      { status: 204, headers: {}, body: '' },
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ remote: 'test-remote', action: 'save', data: { seats: 3 } }),
      },
    ];
    const context = signedIn({});
    keepOnExpiry(context, 'save', () => ({ seats: 3 }));
    context.expire();
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toEqual({
      kind: 'request',
      method: 'POST',
      path: '/auth/pending',
      headers: { 'x-csrf': '1', accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ remote: 'test-remote', action: 'save', data: { seats: 3 } }),
    });
    const runs: unknown[] = [];
    const resumed = await resumeStepUp(context, { save: async (data) => runs.push(data) });
    expect(sent[1]).toMatchObject({ method: 'DELETE', path: '/auth/pending/test-remote', body: null });
    expect(resumed).toMatchObject({ action: 'save', data: { seats: 3 } });
    expect(runs).toEqual([{ seats: 3 }]);
  });

  it('nothing waiting: the host’s 204 is no action', async () => {
    answers = [{ status: 204, headers: {}, body: '' }];
    expect(await resumeStepUp(signedIn({}), { save: async () => 1 })).toBeUndefined();
    expect(sent).toHaveLength(1);
  });
});
