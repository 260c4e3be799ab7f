import { describe, expect, it, vi } from 'vitest';
import { createEventBus, findSecret, RemoteError, scopeEventBus } from '../src/index.js';

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyX2FsaWNlIiwiYXVkIjoic2hvcCJ9.c2lnbmF0dXJlLWJ5dGVz';

describe('findSecret', () => {
  it.each([
    [{ accessToken: 'x' }, 'key "accessToken"'],
    [{ access_token: 'x' }, 'key "access_token"'],
    [{ refreshToken: 'x' }, 'key "refreshToken"'],
    [{ id_token: 'x' }, 'key "id_token"'],
    [{ clientSecret: 'x' }, 'key "clientSecret"'],
    [{ password: 'x' }, 'key "password"'],
    [{ Authorization: 'x' }, 'key "Authorization"'],
    [{ headers: { cookie: 'a=b' } }, 'key "cookie"'],
    [{ apiKey: 'x' }, 'key "apiKey"'],
    [{ sessionId: 'x' }, 'key "sessionId"'],
    [{ sid: 'x' }, 'key "sid"'],
    [{ note: `here: ${JWT}` }, 'value of "note"'],
    [{ header: 'Bearer 2YotnFZFEjr1zCsicMWpAA' }, 'value of "header"'],
    [{ link: '/cb?access_token=x' }, 'value of "link"'],
    [{ a: [{ b: { c: [JWT] } }] }, 'value of "0"'],
    [JWT, 'value'],
    [{ [JWT]: true }, 'a key'],
  ])('finds the credential in %j', (payload, where) => {
    expect(findSecret(payload)).toBe(where);
  });

  it('finds a JWE and a JWT cut after its header', () => {
    expect(
      findSecret({ blob: 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..SqkpV2C-M7Zn4XyY.fDg.HsG01ZTMZ' }),
    ).toBe('value of "blob"');
    expect(findSecret({ cut: 'eyJhbGciOiJSUzI1NiJ9.' })).toBe('value of "cut"');
  });

  it('passes random ids that hold eyJ (about one 21-character nanoid in 3,000 does)', () => {
    expect(findSecret({ orderId: 'V1StGXeyJaBc3kQ9xT_zR', sku: 'EYJK8f2LmQ0pZ7vWb-3nA' })).toBeUndefined();
  });

  it('passes ordinary payloads, including the identity context and its session', () => {
    expect(findSecret({ reason: 'user_action' })).toBeUndefined();
    expect(
      findSecret({
        identity: {
          isAuthenticated: true,
          user: { id: 'user_alice', displayName: 'Alice', roles: ['customer'], permissions: ['orders:view'] },
          session: { expiresAt: '2026-11-22T10:00:00Z' },
        },
      }),
    ).toBeUndefined();
    expect(findSecret({ productId: 'p1', quantity: 2, authorized: true, eye: 'eyJ' })).toBeUndefined();
  });

  it('never puts the value in its answer', () => {
    expect(findSecret({ x: JWT })).not.toContain('eyJ');
    expect(findSecret({ [JWT]: 1 })).not.toContain('eyJ');
  });
});

describe('createEventBus', () => {
  it('delivers typed auth events and stops after unsubscribe', () => {
    const bus = createEventBus();
    const seen: string[] = [];
    const off = bus.on('auth:logged-out', ({ reason }) => seen.push(reason));
    bus.emit('auth:logged-out', { reason: 'user_action' });
    off();
    bus.emit('auth:logged-out', { reason: 'logout' });
    expect(seen).toEqual(['user_action']);
  });

  it('hands listeners a deep-frozen copy, not the emitter’s object', () => {
    const bus = createEventBus();
    const payload = { items: [{ id: 'p1' }] };
    let received: { items: { id: string }[] } | undefined;
    bus.on('cart:updated', (value) => {
      received = value as typeof payload;
    });
    bus.emit('cart:updated', payload);
    expect(received).toEqual(payload);
    expect(received).not.toBe(payload);
    expect(Object.isFrozen(received!.items[0])).toBe(true);
  });

  it('refuses a payload with a token anywhere, delivers nothing and reports the refusal', () => {
    const onRefused = vi.fn();
    const bus = createEventBus({ onRefused });
    const listener = vi.fn();
    bus.on('cart:updated', listener);
    expect(() => bus.emit('cart:updated', { deep: [{ accessToken: 'abc' }] })).toThrowError(
      expect.objectContaining({ code: 'GH_REMOTE_TOKEN_IN_EVENT' }),
    );
    expect(() => bus.emit('cart:updated', { note: JWT })).toThrow(RemoteError);
    expect(listener).not.toHaveBeenCalled();
    expect(onRefused).toHaveBeenCalledTimes(2);
    expect(String(onRefused.mock.calls[1]?.[1])).not.toContain('eyJ');
  });

  it('refuses malformed names and payloads that are not JSON data', () => {
    const bus = createEventBus();
    expect(() => bus.emit('nonamespace' as 'a:b')).toThrowError(
      expect.objectContaining({ code: 'GH_REMOTE_BAD_EVENT' }),
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => bus.emit('cart:updated', cyclic)).toThrowError(
      expect.objectContaining({ code: 'GH_REMOTE_BAD_EVENT' }),
    );
    expect(() => bus.emit('cart:updated', { n: 1n })).toThrowError(
      expect.objectContaining({ code: 'GH_REMOTE_BAD_EVENT' }),
    );
  });

  it('keeps delivering when one listener throws, and reports the error asynchronously', () => {
    const tasks: (() => void)[] = [];
    vi.stubGlobal('queueMicrotask', (task: () => void) => tasks.push(task));
    try {
      const bus = createEventBus();
      const after = vi.fn();
      const boom = new Error('listener bug');
      bus.on('cart:updated', () => {
        throw boom;
      });
      bus.on('cart:updated', after);
      expect(() => bus.emit('cart:updated', {})).not.toThrow();
      expect(after).toHaveBeenCalled();
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toThrow(boom);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('scopeEventBus', () => {
  it('keeps auth:* for the shell and removes every listener of the remote on dispose', () => {
    const bus = createEventBus();
    const scoped = scopeEventBus(bus);
    expect(() => scoped.bus.emit('auth:logged-out', { reason: 'user_action' })).toThrowError(
      expect.objectContaining({ code: 'GH_REMOTE_RESERVED_EVENT' }),
    );
    const listener = vi.fn();
    scoped.bus.on('auth:logged-out', listener);
    scoped.bus.emit('cart:updated', { count: 1 });
    bus.emit('auth:logged-out', { reason: 'user_action' });
    scoped.dispose();
    bus.emit('auth:logged-out', { reason: 'user_action' });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('still refuses tokens from a remote', () => {
    const scoped = scopeEventBus(createEventBus());
    expect(() => scoped.bus.emit('cart:updated', { token: 'x' })).toThrowError(
      expect.objectContaining({ code: 'GH_REMOTE_TOKEN_IN_EVENT' }),
    );
  });
});
