import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DevIdpError, type DevIdpErrorCode } from '../src/index.js';

// `satisfies` fails the typecheck when a code is added to the union but not here.
const codes = {
  GH_DEV_IDP_PRODUCTION: true,
  GH_DEV_IDP_OPTIONS_INVALID: true,
  GH_DEV_IDP_LISTEN_FAILED: true,
  GH_DEV_IDP_PROVIDER_FAILED: true,
  GH_DEV_IDP_UNKNOWN_USER: true,
} satisfies Record<DevIdpErrorCode, true>;

describe('DevIdpError', () => {
  it('documents every code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(codes)) expect(readme).toContain(`\`${code}\``);
  });

  it('keeps the code, the problems and the cause', () => {
    const cause = new Error('low level');
    const error = new DevIdpError('GH_DEV_IDP_OPTIONS_INVALID', 'bad', { problems: ['a: b'], cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DevIdpError');
    expect(error.code).toBe('GH_DEV_IDP_OPTIONS_INVALID');
    expect(error.problems).toEqual(['a: b']);
    expect(error.cause).toBe(cause);
    expect(new DevIdpError('GH_DEV_IDP_PRODUCTION', 'no').problems).toEqual([]);
  });
});
