import { describe, expect, it, vi } from 'vitest';
import { type AuthStatus, createAuthStore } from '../src/index.js';
import { alice, frank } from './fixtures.js';

const statuses = (store: ReturnType<typeof createAuthStore>) => {
  const seen: string[] = [];
  store.subscribe((state, previous) => seen.push(`${previous.status}→${state.status}`));
  return seen;
};

describe('createAuthStore', () => {
  it('starts loading and settles on anonymous or authenticated', () => {
    const anonymousStore = createAuthStore();
    expect(anonymousStore.getState().status).toBe('loading');
    anonymousStore.setIdentity({ isAuthenticated: false });
    expect(anonymousStore.getState().status).toBe('anonymous');
    const signedInStore = createAuthStore();
    signedInStore.setIdentity(alice.identity);
    expect(signedInStore.getState()).toEqual(alice);
  });

  it('tells an expiry from a logout, and both from never having signed in', () => {
    const store = createAuthStore();
    const seen = statuses(store);
    store.setIdentity(alice.identity);
    store.setIdentity({ isAuthenticated: false }); // the BFF says the session is gone
    store.setIdentity(alice.identity); // signed in again (another tab)
    store.logOut('backchannel_logout');
    store.expire(); // already out: nothing
    store.setIdentity({ isAuthenticated: false }); // still out: nothing
    expect(seen).toEqual([
      'loading→authenticated',
      'authenticated→expired',
      'expired→authenticated',
      'authenticated→logged-out',
    ]);
    expect(store.getState()).toMatchObject({ status: 'logged-out', reason: 'backchannel_logout' });
  });

  it('does not let an anonymous visitor be "expired" or "logged out"', () => {
    const store = createAuthStore();
    store.setIdentity({ isAuthenticated: false });
    store.expire();
    store.logOut('user_action');
    expect(store.getState().status).toBe<AuthStatus>('anonymous');
  });

  it('notifies only on a real change, including a new expiry or another user', () => {
    const store = createAuthStore();
    store.setIdentity(alice.identity);
    const listener = vi.fn();
    store.subscribe(listener);
    store.setIdentity(structuredClone(alice.identity));
    expect(listener).not.toHaveBeenCalled();
    store.setIdentity({ ...alice.identity, session: { expiresAt: '2031-01-01T00:00:00Z' } });
    store.setIdentity(frank.identity);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('subscribe returns the unsubscribe function; states are frozen', () => {
    const store = createAuthStore();
    const listener = vi.fn();
    const unsubscribe = store.subscribe(listener);
    unsubscribe();
    store.setIdentity(alice.identity);
    expect(listener).not.toHaveBeenCalled();
    expect(Object.isFrozen(store.getState())).toBe(true);
  });

  it('lets a listener unsubscribe another during a notification without skipping anyone', () => {
    const store = createAuthStore();
    const second = vi.fn();
    let stopSecond = () => {};
    store.subscribe(() => stopSecond());
    stopSecond = store.subscribe(second);
    store.setIdentity(alice.identity);
    expect(second).toHaveBeenCalledTimes(1);
  });
});
