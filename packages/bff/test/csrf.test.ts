import { describe, expect, it } from 'vitest';
import { checkCsrf, isNavigation } from '../src/csrf.js';

const origin = 'http://localhost:4000';

describe('checkCsrf: header × method matrix (SECURITY.md D 26, 29)', () => {
  const cases: Array<[string, string, Record<string, string>, boolean]> = [
    ['GET', 'same-origin with header', { 'x-csrf': '1', 'sec-fetch-site': 'same-origin' }, true],
    ['POST', 'same-origin with header', { 'x-csrf': '1', 'sec-fetch-site': 'same-origin', origin }, true],
    ['POST', 'no header', { 'sec-fetch-site': 'same-origin', origin }, false],
    ['GET', 'no header', { 'sec-fetch-site': 'same-origin' }, false],
    ['POST', 'header value not 1', { 'x-csrf': 'true', 'sec-fetch-site': 'same-origin', origin }, false],
    ['GET', 'cross-site', { 'x-csrf': '1', 'sec-fetch-site': 'cross-site' }, false],
    [
      'POST',
      'cross-site',
      { 'x-csrf': '1', 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      false,
    ],
    ['GET', 'same-site read', { 'x-csrf': '1', 'sec-fetch-site': 'same-site' }, true],
    [
      'POST',
      'same-site write',
      { 'x-csrf': '1', 'sec-fetch-site': 'same-site', origin: 'http://shop.localhost:4000' },
      false,
    ],
    ['DELETE', 'same-site write', { 'x-csrf': '1', 'sec-fetch-site': 'same-site' }, false],
    ['POST', 'user-initiated (none)', { 'x-csrf': '1', 'sec-fetch-site': 'none', origin }, true],
    ['POST', 'unknown fetch-site value', { 'x-csrf': '1', 'sec-fetch-site': 'bogus', origin }, false],
    ['POST', 'no metadata, exact origin', { 'x-csrf': '1', origin }, true],
    [
      'POST',
      'no metadata, spoofed origin suffix',
      { 'x-csrf': '1', origin: 'http://localhost:4000.evil.example' },
      false,
    ],
    ['POST', 'no metadata, other port', { 'x-csrf': '1', origin: 'http://localhost:4001' }, false],
    ['POST', 'no metadata, referer only', { 'x-csrf': '1', referer: `${origin}/cart` }, true],
    ['POST', 'no metadata, foreign referer', { 'x-csrf': '1', referer: 'https://evil.example/x' }, false],
    ['POST', 'no metadata, no origin, no referer', { 'x-csrf': '1' }, false],
    ['PATCH', 'no metadata, null origin', { 'x-csrf': '1', origin: 'null' }, false],
    ['GET', 'no metadata, read', { 'x-csrf': '1' }, true],
  ];
  it.each(cases)('%s %s → allowed=%s', (method, _label, headers, allowed) => {
    expect(checkCsrf(method, headers, origin) === undefined).toBe(allowed);
  });
});

describe('isNavigation', () => {
  it('uses Fetch Metadata first, Accept otherwise', () => {
    expect(isNavigation({ 'sec-fetch-mode': 'navigate' })).toBe(true);
    expect(isNavigation({ 'sec-fetch-mode': 'cors', accept: 'text/html' })).toBe(false);
    expect(isNavigation({ accept: 'text/html,application/xhtml+xml' })).toBe(true);
    expect(isNavigation({ accept: 'application/json' })).toBe(false);
  });
});
