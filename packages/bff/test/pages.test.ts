import { describe, expect, it } from 'vitest';
import { htmlHeaders, identityScript, newNonce } from '../src/index.js';

describe('htmlHeaders (docs/security-requirements.md#h42, #h45 to #h47)', () => {
  it('sends a strict nonce CSP, nosniff, no-referrer, COOP, frame-ancestors none, and no HSTS over http', () => {
    const headers = htmlHeaders('abc', {
      remoteOrigins: ['https://cdn.example'],
      trustedTypes: ['gatehouse'],
      integrityPolicy: 'report-only',
    });
    const csp = headers['content-security-policy'] ?? '';
    expect(csp).toContain(`script-src 'nonce-abc' 'strict-dynamic' 'self' https://cdn.example`);
    expect(csp).toContain(`object-src 'none'`);
    expect(csp).toContain(`base-uri 'none'`);
    expect(csp).toContain(`frame-ancestors 'none'`);
    expect(csp).toContain(`require-trusted-types-for 'script'; trusted-types gatehouse`);
    expect(headers['integrity-policy-report-only']).toBe(
      'blocked-destinations=(script), endpoints=(gatehouse)',
    );
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['strict-transport-security']).toBeUndefined();
  });

  it('adds HSTS for a year over https, enforces Integrity-Policy on request, and can leave Trusted Types off', () => {
    const headers = htmlHeaders('abc', { hsts: true, integrityPolicy: 'enforce', trustedTypes: [] });
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(headers['integrity-policy']).toBeDefined();
    expect(headers['content-security-policy']).not.toContain('trusted-types');
  });

  it('makes 128-bit nonces that differ every time', () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => newNonce()));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
  });

  it('inlines the identity so that it cannot close its script element', () => {
    const html = identityScript({
      isAuthenticated: true,
      user: {
        id: 'u',
        displayName: '</script><script>alert(1)</script>',
        roles: [],
        permissions: [],
        tenants: [],
      },
      session: { expiresAt: '2026-01-01T00:00:00.000Z' },
    });
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(JSON.parse(html.slice(html.indexOf('>') + 1, html.lastIndexOf('<')))).toMatchObject({
      user: { displayName: '</script><script>alert(1)</script>' },
    });
  });
});
