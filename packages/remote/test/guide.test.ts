/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('docs/write-a-remote.md', () => {
  it('shows the example remote and its unit test exactly as they are in the repository', () => {
    const guide = read('../../../docs/write-a-remote.md');
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(read('./example/orders-remote.ts'));
    expect(blocks).toContain(read('./example/orders-remote.test.ts'));
    expect(blocks).toContain(read('./example/organisation-picker.ts'));
  });
});

describe('README', () => {
  it('documents every error code of the package', () => {
    const readme = read('../README.md');
    const codes = [...read('../src/errors.ts').matchAll(/'(GH_REMOTE_[A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(3);
    for (const code of new Set(codes)) expect(readme).toContain(`\`${code}\``);
  });
});
