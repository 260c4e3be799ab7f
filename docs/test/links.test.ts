import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkChecker } from './support/links.js';
import { type MarkdownPage, readMarkdown } from './support/markdown.js';
import { folderOf, readText, repoFiles, repoRoot } from './support/repo.js';
import { countOutsideReferences, outsideDocuments } from './support/spec-references.js';

const files = repoFiles();
const markdown = files.filter((file) => file.endsWith('.md'));
const pages = new Map<string, MarkdownPage>(
  markdown.map((file) => [file, readMarkdown(readFileSync(join(repoRoot, file), 'utf8'))]),
);
const checker = linkChecker(files, pages);

describe('links of the Markdown pages', () => {
  it('the checker finds a missing file, a missing anchor, a root-relative link and a way out of the repository', () => {
    expect(checker.broken('docs/run-the-bff.md', 'security-model.md')).toBeUndefined();
    expect(
      checker.broken(
        'docs/run-the-bff.md',
        'security-model.md#deviation-the-id-token-reaches-the-browser-once-at-sign-out',
      ),
    ).toBeUndefined();
    expect(checker.broken('README.md', 'docs/screenshots')).toBeUndefined();
    expect(checker.broken('README.md', 'https://example.com/nowhere.md')).toBeUndefined();
    expect(checker.broken('docs/run-the-bff.md', 'no-such-page.md')).toMatch(/does not exist/);
    expect(checker.broken('docs/run-the-bff.md', 'security-model.md#no-such-anchor')).toMatch(/no anchor/);
    expect(checker.broken('docs/run-the-bff.md', '#no-such-anchor')).toMatch(/no anchor/);
    expect(checker.broken('README.md', '/docs/run-the-bff.md')).toMatch(/root-relative/);
    expect(checker.broken('README.md', '../README.md')).toMatch(/outside the repository/);
  });

  it('every relative link and image of every Markdown page points at a file, folder or anchor of the repository', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const [file, page] of pages) {
      for (const link of page.links) {
        checked++;
        const why = checker.broken(file, link.href);
        if (why) broken.push(`${file}:${link.line}: ${why}`);
      }
    }
    expect(markdown.length).toBeGreaterThan(15);
    expect(checked).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  });

  it('every Markdown page named in a code span (`docs/run-the-bff.md`) exists', () => {
    // Paths under a dot-folder (`.bench-results/load.md`) name generated, git-ignored output.
    const missing: string[] = [];
    for (const [file, page] of pages) {
      for (const code of page.codeSpans) {
        if (!/^[\w.-]+(?:\/[\w.-]+)*\.md$/.test(code.text) || code.text.startsWith('.')) continue;
        const fromRoot = posix.normalize(code.text);
        const fromPage = posix.normalize(posix.join(folderOf(file), code.text));
        if (!pages.has(fromRoot) && !pages.has(fromPage)) missing.push(`${file}:${code.line}: ${code.text}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('design documents kept outside the repository', () => {
  it('are named nowhere: the repository points at its own docs/ pages', () => {
    const named: string[] = [];
    for (const file of files) {
      const text = readText(file);
      if (text === undefined) continue;
      const count = countOutsideReferences(text);
      if (count > 0) named.push(`${file}: ${count} reference(s)`);
    }
    expect(named, `name ${outsideDocuments.join(', ')} nowhere: point at docs/ instead`).toEqual([]);
  });

  it('the check finds a reference', () => {
    expect(countOutsideReferences(`see ${outsideDocuments[0]} D 29 and ${outsideDocuments[1]}`)).toBe(2);
    expect(countOutsideReferences('see docs/security-requirements.md#d29')).toBe(0);
  });
});
