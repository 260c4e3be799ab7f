import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('docs/write-a-remote.md, section "With React"', () => {
  it('shows the React example remote and its unit test exactly as they are in the repository', () => {
    const guide = read('../../../docs/write-a-remote.md');
    const blocks = [...guide.matchAll(/```tsx\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(read('./example/wishlist-remote.tsx'));
    expect(blocks).toContain(read('./example/wishlist-remote.test.tsx'));
  });
});
