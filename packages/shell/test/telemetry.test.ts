import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry, type TelemetryEvent } from '../src/index.js';

let posts: { url: string; init: RequestInit; events: TelemetryEvent[] }[];

beforeEach(() => {
  posts = [];
  vi.useFakeTimers();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      posts.push({ url, init, events: JSON.parse(String(init.body)).events });
      return new Response(null, { status: 202 });
    }),
  );
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('createTelemetry', () => {
  it('batches events for flushMs, then posts them with x-csrf and keepalive', () => {
    const telemetry = createTelemetry({ flushMs: 1000 });
    telemetry.track({
      type: 'access_denied',
      route: '/admin',
      authState: 'authenticated',
      permission: 'users:view',
    });
    telemetry.track({ type: 'logged_out', errorType: 'user_action' });
    expect(posts).toHaveLength(0);
    vi.advanceTimersByTime(1000);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      url: '/telemetry',
      init: {
        method: 'POST',
        keepalive: true,
        headers: { 'x-csrf': '1', 'content-type': 'application/json' },
      },
    });
    expect(posts[0]!.events.map((e) => e.type)).toEqual(['access_denied', 'logged_out']);
    expect(Date.parse(posts[0]!.events[0]!.time!)).not.toBeNaN();
  });

  it('sends at most 20 events and 16 KB per request', () => {
    const telemetry = createTelemetry();
    for (let i = 0; i < 45; i++)
      telemetry.track({
        type: 'api_error',
        errorType: `${i}`.padEnd(200, 'x'),
        route: 'r'.repeat(200),
        remoteName: 'n'.repeat(200),
        permission: 'p'.repeat(200),
      });
    telemetry.flush();
    expect(posts.reduce((n, p) => n + p.events.length, 0)).toBe(45);
    for (const post of posts) {
      expect(post.events.length).toBeLessThanOrEqual(20);
      expect(new TextEncoder().encode(String(post.init.body)).length).toBeLessThanOrEqual(16 * 1024);
    }
  });

  it('keeps only the contract’s fields, cut to the BFF’s limits, and drops credential-like events alone', () => {
    const telemetry = createTelemetry();
    telemetry.track({
      type: 'x',
      route: 'r'.repeat(600),
      remoteName: 'n\u0007'.repeat(40),
      // Every control character goes, from NUL to US and DEL; a space and the rest stay.
      userRoleGroup: '\u0000a\u001f\u007fb c\u00e9',
      email: 'a@example.com',
    } as TelemetryEvent);
    telemetry.track({ type: 'x', shellVersion: 'v'.repeat(40) });
    // What the BFF would refuse the whole batch for (looksLikeCredential) is dropped alone…
    telemetry.track({ type: 'x', errorType: 'Bearer 2YotnFZFEjr1zCsicMWpAA' });
    telemetry.track({ type: 'x', remoteName: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.' });
    telemetry.track({ type: 'x', route: '/cb?refresh_token=x' });
    // …and what it accepts is kept: a word is not a credential.
    telemetry.track({ type: 'x', route: '/account/password' });
    telemetry.flush();
    expect(posts[0]!.events).toEqual([
      {
        type: 'x',
        time: expect.any(String),
        route: 'r'.repeat(512),
        remoteName: 'n'.repeat(40),
        userRoleGroup: 'ab c\u00e9',
      },
      { type: 'x', time: expect.any(String), shellVersion: 'v'.repeat(32) },
      { type: 'x', time: expect.any(String), route: '/account/password' },
    ]);
  });

  it('never throws when the BFF is down', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('down'))),
    );
    const telemetry = createTelemetry({ flushMs: 60_000 });
    for (let i = 0; i < 19; i++) telemetry.track({ type: 't' });
    expect(() => telemetry.flush()).not.toThrow();
    await vi.runAllTimersAsync();
  });
});
