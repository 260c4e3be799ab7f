import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const page = readFileSync(new URL('docs/security-model.md', root), 'utf8');

describe('docs/security-model.md', () => {
  it('lists every docs/security-requirements.md item, A1 to J55, in order', () => {
    const items = [...page.matchAll(/^\| ([A-J])(\d+) /gm)].map((match) => Number(match[2]));
    expect(items).toEqual(Array.from({ length: 55 }, (_, index) => index + 1));
  });

  it('names only test files that exist', () => {
    const files = [...page.matchAll(/`((?:packages|e2e|examples)\/[^`]+)`/g)].map(
      (match) => match[1] as string,
    );
    expect(files.length).toBeGreaterThan(40);
    for (const file of new Set(files)) expect(existsSync(new URL(file, root)), file).toBe(true);
  });
});
