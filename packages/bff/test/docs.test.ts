import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bffErrorCodes, ENVIRONMENT_VARIABLES } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each(bffErrorCodes)('documents the error code %s', (code) => {
    expect(readme).toContain(code);
  });
  it.each(ENVIRONMENT_VARIABLES)('documents the environment variable %s', (name) => {
    expect(readme).toContain(name);
  });
});
