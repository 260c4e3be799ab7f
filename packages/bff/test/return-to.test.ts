import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../src/return-to.js';

describe('safeReturnTo (docs/security-requirements.md#e31)', () => {
  it.each([
    ['/', '/'],
    ['/orders/order_123', '/orders/order_123'],
    ['/search?q=shoes&page=2', '/search?q=shoes&page=2'],
    ['/org/acme/audit-logs?from=2026-01-01', '/org/acme/audit-logs?from=2026-01-01'],
    ['/product/a%20b', '/product/a%20b'],
    ['/search?next=//evil.example', '/search?next=//evil.example'],
  ])('keeps the same-origin path %s', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });

  it.each([
    'https://evil.example',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/%5Cevil.example',
    '/%5cevil.example',
    '/%2F%2Fevil.example',
    '%2F%2Fevil.example',
    'https:evil.example',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '/a/../../evil',
    '/a/./b',
    '/..',
    '/%2e%2e/admin',
    '/%2E/x',
    '/ok%0d%0aSet-Cookie:x=1',
    '/ok%0D%0ALocation:%20https://evil.example',
    '/ok\r\nLocation: https://evil.example',
    '/ok%00',
    '/ok\u0000',
    '/tab\tx',
    '/ok%c2%85',
    '/ok#fragment',
    'evil.example',
    '',
    ' /orders',
    `/${'a'.repeat(3000)}`,
  ])('turns %j into /', (input) => {
    expect(safeReturnTo(input)).toBe('/');
  });

  it('ignores values that are not strings', () => {
    for (const input of [undefined, null, 42, ['/a', '/b'], { toString: () => '/x' }])
      expect(safeReturnTo(input)).toBe('/');
  });

  it('never answers anything but a single-slash same-origin path, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.webPath().map((p) => `/${p}`),
          fc.stringMatching(/^[/\\%.a-z:0-9]{0,24}$/),
        ),
        (input) => {
          const out = safeReturnTo(input);
          expect(out.startsWith('/')).toBe(true);
          expect(out.startsWith('//')).toBe(false);
          expect(out.startsWith('/\\')).toBe(false);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for control characters
          expect(/[\u0000-\u001f\u007f]/.test(out)).toBe(false);
          expect(new URL(out, 'http://gatehouse.invalid').origin).toBe('http://gatehouse.invalid');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
