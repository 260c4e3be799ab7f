/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('README', () => {
  it('documents every error code of the package', () => {
    const readme = read('../README.md');
    const codes = [...read('../src/errors.ts').matchAll(/\| '(GH_SHELL_[A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(9);
    for (const code of codes) expect(readme).toContain(`\`${code}\``);
  });
});
