import { describe, expect, it } from 'vitest';
import { bridgeLimits, bridgePathAllowed, readBridgeMessage } from '../src/index.js';

const request = (overrides: Record<string, unknown>) => ({
  kind: 'request',
  method: 'GET',
  path: '/api/orders/order_123',
  headers: { accept: 'application/json' },
  body: null,
  ...overrides,
});

describe('the bridge message contract', () => {
  it('accepts an API call and the waits for push messages, with header names in lower case', () => {
    expect(readBridgeMessage(request({ headers: { Accept: 'application/json', 'X-CSRF': '1' } }))).toEqual({
      message: { ...request({}), headers: { accept: 'application/json', 'x-csrf': '1' } },
    });
    expect(readBridgeMessage({ kind: 'next-event' })).toEqual({ message: { kind: 'next-event' } });
  });

  it.each([
    ['/auth/session', 'GET', true],
    ['/auth/session/extend', 'POST', true],
    ['/auth/logout', 'POST', true],
    ['/auth/logout', 'GET', false],
    ['/auth/pending', 'POST', true],
    ['/auth/pending', 'GET', false],
    ['/auth/pending/checkout', 'DELETE', true],
    ['/auth/pending/checkout', 'POST', false],
    ['/auth/pending/checkout/x', 'DELETE', false],
    ['/auth/pending/9x', 'DELETE', false],
    ['/auth/pending/', 'DELETE', false],
    ['/auth/sessions', 'GET', true],
    ['/auth/sessions', 'DELETE', false],
    ['/auth/sessions/others', 'DELETE', true],
    ['/auth/sessions/AbCdEf012_-x', 'DELETE', true],
    ['/auth/sessions/AbCdEf012_-x', 'GET', false],
    ['/auth/sessions/short', 'DELETE', false],
    ['/auth/admin/users/user_bob/sessions', 'DELETE', false],
    ['/auth/tenant', 'POST', true],
    ['/auth/tenant', 'GET', false],
    ['/auth/login', 'GET', false],
    ['/auth/native/token', 'POST', false],
    ['/auth/backchannel-logout', 'POST', false],
    ['/admin', 'GET', false],
    ['/api/orders?x=1', 'DELETE', true],
    ['/api/orders', 'TRACE', false],
    ['/api/../auth/native/token', 'POST', false],
    ['/api/%2e%2e/auth/login', 'GET', false],
    ['/api/a%2fb', 'GET', false],
    ['//evil.example/api/x', 'GET', false],
    ['https://evil.example/api/x', 'GET', false],
    ['/api/x y', 'GET', false],
    ['/api\\x', 'GET', false],
  ])('%s by %s: allowed %s', (path, method, allowed) => {
    expect(bridgePathAllowed(method, path)).toBe(allowed);
  });

  it('refuses headers off the allow-list, malformed messages and bodies over the limit', () => {
    for (const header of ['cookie', 'authorization', 'origin', 'host', 'x-forwarded-for'])
      expect(readBridgeMessage(request({ headers: { [header]: 'x' } }))).toEqual({
        refused: 'header_not_allowed',
      });
    for (const bad of [null, 'text', request({ method: 1 }), request({ headers: [] }), request({ body: {} })])
      expect(readBridgeMessage(bad)).toEqual({ refused: 'malformed' });
    expect(readBridgeMessage(request({ path: '/auth/login' }))).toEqual({ refused: 'path_not_allowed' });
    const limit = 'x'.repeat(bridgeLimits.bodyBytes);
    expect('message' in readBridgeMessage(request({ method: 'POST', body: limit }))).toBe(true);
    // Counted in UTF-8 bytes: one more character of two bytes is over.
    expect(readBridgeMessage(request({ method: 'POST', body: `${limit.slice(1)}é` }))).toEqual({
      refused: 'body_too_large',
    });
    // Four bytes for a character beyond the BMP, three for a lone surrogate (written as U+FFFD).
    expect('message' in readBridgeMessage(request({ method: 'POST', body: `${limit.slice(4)}😀` }))).toBe(
      true,
    );
    expect(readBridgeMessage(request({ method: 'POST', body: `${limit.slice(3)}😀` }))).toEqual({
      refused: 'body_too_large',
    });
    expect('message' in readBridgeMessage(request({ method: 'POST', body: `${limit.slice(3)}\ud800` }))).toBe(
      true,
    );
  });
});
