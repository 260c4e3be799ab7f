import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/repo.js';

const PAGE = 'docs/security-requirements.md';
const page = readFileSync(join(repoRoot, PAGE), 'utf8');

/** The groups and the numbers of their requirements, A1 to L59. */
const GROUPS: ReadonlyArray<readonly [string, number, number]> = [
  ['a', 1, 10],
  ['b', 11, 18],
  ['c', 19, 25],
  ['d', 26, 30],
  ['e', 31, 32],
  ['f', 33, 36],
  ['g', 37, 41],
  ['h', 42, 47],
  ['i', 48, 50],
  ['j', 51, 55],
  ['k', 56, 56],
  ['l', 57, 59],
];
const expectedIds = GROUPS.flatMap(([letter, first, last]) =>
  Array.from({ length: last - first + 1 }, (_, index) => `${letter}${first + index}`),
);

interface Requirement {
  readonly id: string;
  readonly text: string;
}

/** Each requirement: from its `<a id="…">` to the next requirement or section. */
const requirements: Requirement[] = [
  ...page.matchAll(/^<a id="([a-l]\d+)"><\/a>\n([\s\S]*?)(?=^<a id=|^## )/gm),
].map((match) => ({ id: match[1] as string, text: match[2] as string }));

/** `[`path`](../path) › “title”, “title”` entries of a "Tested by" line. */
const TESTS = /\[`([^`]+)`\]\(([^)]+)\)((?:\s*›\s*“[^”]+”(?:,\s*“[^”]+”)*)?)/g;

describe(PAGE, () => {
  it('has every requirement, A1 to L59, in order, each under its own anchor and heading', () => {
    expect(requirements.map((requirement) => requirement.id)).toEqual(expectedIds);
    for (const { id, text } of requirements) {
      expect(text, id).toMatch(new RegExp(`^### ${id.toUpperCase()}\\. \\S`));
    }
  });

  it('gives every requirement its standard and its tests', () => {
    for (const { id, text } of requirements) {
      expect(text, id).toMatch(/^- \*\*Standard:\*\* \S/m);
      expect(text, id).toMatch(/^- \*\*Tested by:\*\* \[`/m);
    }
  });

  it('names only tests that exist, each file by a link and each test by its title', () => {
    const problems: string[] = [];
    let titles = 0;
    for (const { id, text } of requirements) {
      const line = /^- \*\*Tested by:\*\* (.*)$/m.exec(text)?.[1] ?? '';
      for (const match of line.matchAll(TESTS)) {
        const [, path, href, named] = match as unknown as [string, string, string, string];
        if (href !== posix.relative('docs', path)) problems.push(`${id}: ${path} is linked as ${href}`);
        if (!existsSync(join(repoRoot, path))) {
          problems.push(`${id}: ${path} does not exist`);
          continue;
        }
        const source = readFileSync(join(repoRoot, path), 'utf8');
        const names = [...named.matchAll(/“([^”]+)”/g)].map((title) => title[1] as string);
        if (names.length === 0 && /\.test\.tsx?$/.test(path))
          problems.push(`${id}: ${path} without a test name`);
        for (const name of names) {
          titles++;
          if (!source.includes(name)) problems.push(`${id}: ${path} has no test “${name}”`);
        }
      }
    }
    expect(titles).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });

  it('lists under "Not yet tested" exactly the requirements that say so', () => {
    const marked = requirements
      .filter(({ text }) => /^- \*\*Not yet tested:\*\*/m.test(text))
      .map(({ id }) => id);
    const section = page.slice(page.indexOf('\n## Not yet tested\n'));
    const listed = [...section.matchAll(/^- \[[A-L]\d+\]\(#([a-l]\d+)\)/gm)].map((match) => match[1]);
    expect(marked.length).toBeGreaterThan(0);
    expect(listed).toEqual(marked);
  });
});
