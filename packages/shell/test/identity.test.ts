import { describe, expect, it } from 'vitest';
import { parseIdentity } from '../src/index.js';

const alice = {
  isAuthenticated: true,
  user: {
    id: 'user_alice',
    displayName: 'Alice',
    roles: ['customer'],
    permissions: ['orders:view'],
    tenants: [{ id: 'acme', roles: ['member'], permissions: ['users:view'] }],
    locale: 'en-IN',
    currency: 'INR',
  },
  session: { expiresAt: '2026-11-22T10:00:00Z' },
};

describe('parseIdentity', () => {
  it('accepts the contract’s identity context, deep-frozen', () => {
    const identity = parseIdentity(JSON.parse(JSON.stringify(alice)));
    expect(identity).toEqual(alice);
    expect(Object.isFrozen(identity!.isAuthenticated && identity!.user.tenants[0]!.permissions)).toBe(true);
    expect(parseIdentity({ isAuthenticated: false })).toEqual({ isAuthenticated: false });
  });

  it('passes the session’s acr and authTime on (the step-up level), and drops what else it holds', () => {
    const session = { expiresAt: alice.session.expiresAt, acr: 'urn:gatehouse:loa:2', authTime: 1765000000 };
    const identity = parseIdentity({ ...alice, session: { ...session, id: 'sess' } });
    expect(identity).toEqual({ ...alice, session });
    expect(JSON.stringify(identity)).not.toContain('sess"');
  });

  it('passes the active tenant on, and drops one that is not a string', () => {
    const acme = { ...alice, user: { ...alice.user, activeTenant: 'acme' } };
    expect(parseIdentity(JSON.parse(JSON.stringify(acme)))).toEqual(acme);
    expect(parseIdentity({ ...alice, user: { ...alice.user, activeTenant: { id: 'acme' } } })).toEqual(alice);
  });

  it('keeps only the contract’s fields, whatever else the JSON holds', () => {
    const identity = parseIdentity({
      ...alice,
      accessToken: 'eyJ…',
      user: { ...alice.user, email: 'alice@example.com', tenants: [{ ...alice.user.tenants[0], secret: 1 }] },
      session: { ...alice.session, id: 'sess' },
    });
    expect(JSON.stringify(identity)).not.toMatch(/eyJ|email|secret|sess"/);
    expect(parseIdentity({ isAuthenticated: false, user: alice.user })).toEqual({ isAuthenticated: false });
  });

  it.each([
    ['no user', { ...alice, user: undefined }],
    ['no session', { ...alice, session: undefined }],
    ['a bad expiry', { ...alice, session: { expiresAt: 'soon' } }],
    ['roles that are not strings', { ...alice, user: { ...alice.user, roles: [1] } }],
    ['permissions that are not a list', { ...alice, user: { ...alice.user, permissions: 'orders:view' } }],
    ['a tenant without id', { ...alice, user: { ...alice.user, tenants: [{ roles: [], permissions: [] }] } }],
    ['isAuthenticated as a string', { ...alice, isAuthenticated: 'true' }],
    ['null', null],
    ['an HTML error page', '<html>'],
  ])('refuses %s', (_what, value) => {
    expect(parseIdentity(value)).toBeUndefined();
  });
});
