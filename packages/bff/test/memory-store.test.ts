import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { BffError } from '../src/errors.js';
import {
  isWellFormedSessionId,
  MemorySessionStore,
  newOpaqueToken,
  newSessionId,
} from '../src/session/index.js';
import { createSessionStore } from '../src/store.js';
import { sessionRecord, sessionStoreContract } from './session-store.contract.js';

let fakeNow = Date.now();
sessionStoreContract('MemorySessionStore', async () => new MemorySessionStore({ now: () => fakeNow }), {
  advance: async (ms) => {
    fakeNow += ms;
  },
});

const iss = 'https://idp.example';

describe('MemorySessionStore bounds', () => {
  it('evicts the oldest sessions when full and keeps its indexes consistent', async () => {
    const store = new MemorySessionStore({ maxSessions: 10 });
    const ids = Array.from({ length: 25 }, newSessionId);
    for (const [n, id] of ids.entries()) {
      await store.create(id, sessionRecord({ iss, sub: `user-${n}`, sid: `sid-${n}` }), 60_000);
      expect(store.stats().sessions).toBeLessThanOrEqual(10);
    }
    expect(store.stats()).toMatchObject({ sessions: 10, sidIndexEntries: 10, subIndexEntries: 10 });
    for (const [n, id] of ids.entries()) {
      expect((await store.get(id)) !== undefined).toBe(n >= 15);
    }
    expect(await store.deleteBySub(iss, 'user-0')).toEqual([]);
    expect(await store.deleteBySid(iss, 'sid-0')).toEqual([]);
    expect(await store.deleteBySub(iss, 'user-24')).toEqual([ids[24]]);
    expect(store.stats()).toMatchObject({ sessions: 9, sidIndexEntries: 9, subIndexEntries: 9 });
    await store.close();
  });

  it('evicts the least recently touched session first', async () => {
    const store = new MemorySessionStore({ maxSessions: 3 });
    const [a, b, c, d] = [newSessionId(), newSessionId(), newSessionId(), newSessionId()];
    for (const id of [a, b, c]) await store.create(id, sessionRecord({ iss, sub: 'alice' }), 60_000);
    await store.touch(a, Date.now(), 60_000);
    await store.create(d, sessionRecord({ iss, sub: 'alice' }), 60_000);
    expect(await store.get(a)).toBeDefined();
    expect(await store.get(b)).toBeUndefined();
    expect(store.stats()).toMatchObject({ sessions: 3, subIndexEntries: 3 });
    await store.close();
  });

  it('bounds transactions (refusing new browsers, never evicting a pending login), locks and marks', async () => {
    const store = new MemorySessionStore({ maxTransactions: 5, maxLocks: 5, maxMarks: 5 });
    const states = Array.from({ length: 8 }, () => newOpaqueToken());
    const stored: boolean[] = [];
    for (const state of states) {
      stored.push(
        await store.putTransaction(
          state,
          { binding: state, codeVerifier: 'v', nonce: 'n', returnTo: '/', createdAt: 0 },
          60_000,
          { perBinding: 5, total: 100 },
        ),
      );
      await store.acquireLock(state, 'owner', 60_000);
      await store.markOnce(state, 60_000);
    }
    expect(stored).toEqual([true, true, true, true, true, false, false, false]);
    expect(store.stats()).toMatchObject({ transactions: 5, locks: 5, marks: 5 });
    expect(await store.takeTransaction(states[0]!, states[0]!)).toBeDefined();
    expect(await store.takeTransaction(states[7]!, states[7]!)).toBeUndefined();
    await store.close();
  });
});

describe('the memory store the BFF makes for itself', () => {
  it('holds as many pending logins as maxPendingLogins, however many its caller allows', async () => {
    const config = resolveConfig({ sessionSecrets: ['x'.repeat(32)], maxPendingLogins: 3 });
    const store = createSessionStore(config);
    const stored: boolean[] = [];
    for (let n = 0; n < 4; n++) {
      const binding = newOpaqueToken();
      const transaction = { binding, codeVerifier: 'v', nonce: 'n', returnTo: '/', createdAt: 0 };
      stored.push(
        await store.putTransaction(newOpaqueToken(), transaction, 60_000, { perBinding: 5, total: 1_000 }),
      );
    }
    expect(stored).toEqual([true, true, true, false]);
    await store.close();
  });
});

describe('MemorySessionStore expiry and hot path', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps expired entries and their index entries periodically', async () => {
    vi.useFakeTimers();
    const store = new MemorySessionStore({ sweepIntervalMs: 1_000 });
    await store.create(newSessionId(), sessionRecord({ iss, sub: 'alice', sid: 's' }), 500);
    await store.create(newSessionId(), sessionRecord({ iss, sub: 'bob' }), 5_000);
    await store.putTransaction(
      'state',
      { binding: 'b', codeVerifier: 'v', nonce: 'n', returnTo: '/', createdAt: 0 },
      500,
    );
    await store.acquireLock('lock', 'owner', 500);
    await store.markOnce('mark', 500);
    vi.advanceTimersByTime(1_000);
    expect(store.stats()).toEqual({
      sessions: 1,
      transactions: 0,
      locks: 0,
      marks: 0,
      counters: 0,
      sidIndexEntries: 0,
      subIndexEntries: 1,
    });
    await store.close();
  });

  it('answers the same frozen record on every get, without copying', async () => {
    const store = new MemorySessionStore();
    const id = newSessionId();
    await store.create(id, sessionRecord({ iss, sub: 'alice' }), 60_000);
    const first = await store.get(id);
    expect(await store.get(id)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.tokens)).toBe(true);
    expect(Object.isFrozen(first?.user.tenants[0]?.roles)).toBe(true);
    await store.close();
  });

  it('refuses bad options, listing every problem in one coded error', () => {
    let thrown: unknown;
    try {
      new MemorySessionStore({ maxSessions: 0, sweepIntervalMs: 1.5, colour: 'red' } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BffError);
    expect((thrown as BffError).code).toBe('GH_BFF_CONFIG_INVALID');
    expect((thrown as BffError).message).toMatch(/colour.*maxSessions.*sweepIntervalMs/s);
  });
});

describe('session ids', () => {
  it('makes 1000 distinct 43-character base64url ids that pass isWellFormedSessionId', () => {
    const ids = Array.from({ length: 1000 }, newSessionId);
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(isWellFormedSessionId(id)).toBe(true);
    }
    // Roughly half of the 256 000 bits are set (10 standard deviations of slack).
    let ones = 0;
    for (const id of ids) for (const byte of Buffer.from(id, 'base64url')) ones += popcount(byte);
    expect(Math.abs(ones / (1000 * 256) - 0.5)).toBeLessThan(0.01);
  });

  it('accepts only canonical 43-character base64url strings', () => {
    const id = newSessionId();
    for (const forged of [
      `${id}A`,
      id.slice(1),
      `${id.slice(0, 42)}=`,
      `${id.slice(0, 42)}+`,
      `${id.slice(0, 41)}/A`,
      `${id.slice(0, 42)}B`, // non-zero padding bits: not what base64url of 32 bytes produces
      '',
      ' '.repeat(43),
      42,
      undefined,
      null,
    ]) {
      expect(isWellFormedSessionId(forged)).toBe(false);
    }
  });

  it('makes opaque tokens of the asked size and refuses weak ones', () => {
    expect(newOpaqueToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newOpaqueToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newOpaqueToken()).not.toBe(newOpaqueToken());
    expect(() => newOpaqueToken(8)).toThrow(RangeError);
    expect(() => newOpaqueToken(16.5)).toThrow(RangeError);
  });
});

function popcount(byte: number): number {
  let count = 0;
  for (let bits = byte; bits; bits >>= 1) count += bits & 1;
  return count;
}
