import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMarkdown } from './support/markdown.js';
import { readText, repoFiles, repoRoot } from './support/repo.js';
import { countOutsideReferences } from './support/spec-references.js';

const script = join(repoRoot, 'scripts/rewrite-spec-references.mjs');
const PAGES = ['docs/security-requirements.md', 'docs/http-contract.md'];
// Spelled in parts, so that this file does not name the documents itself.
const SECURITY = ['SECURITY', 'md'].join('.');
const CONTRACT = ['CONTRACT', 'md'].join('.');
const STYLE = ['STYLE', 'md'].join('.');

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A folder holding `files` (path → text) and the two pages the references are rewritten to. */
function copyOf(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-rewrite-'));
  made.push(dir);
  for (const page of PAGES) files[page] ??= readFileSync(join(repoRoot, page), 'utf8');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** Runs the script over `dir`: its exit code and output. */
function rewrite(dir: string): { status: number; output: string } {
  try {
    return {
      status: 0,
      output: execFileSync(process.execPath, [script, '--root', dir], { encoding: 'utf8' }),
    };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    return { status: failed.status, output: failed.stdout };
  }
}

describe('scripts/rewrite-spec-references.mjs', () => {
  it('rewrites each form of reference into the anchors of the repository’s pages', () => {
    const source = [
      `// (${SECURITY} D 29) and (${SECURITY} A 1–3).`,
      `// ${SECURITY} D 26 and 29; ${CONTRACT} "API proxy"`,
      `describe('x (${SECURITY} J (51–55) and G41)', () => {});`,
      `describe('y (${SECURITY} H; issue 6)', () => {});`,
      `// ${SECURITY} items 25, 32 and 34, then ${SECURITY} G.`,
      `/** The identity context of ${CONTRACT}. (${CONTRACT} \`GET /auth/login\`), (${CONTRACT} "API proxy", "Errors") */`,
      `/** The six demo users of`,
      ` * ${CONTRACT}, and the ports of \`npm start\` (${CONTRACT}). */`,
    ].join('\n');
    const dir = copyOf({
      'packages/x/src/a.ts': source,
      'packages/x/README.md': `See \`${SECURITY}\`, item ${SECURITY} C 25 and ${CONTRACT} "Errors".\n`,
    });
    const { status } = rewrite(dir);
    expect(status).toBe(0);
    expect(readFileSync(join(dir, 'packages/x/src/a.ts'), 'utf8').split('\n')).toEqual([
      '// (docs/security-requirements.md#d29) and (docs/security-requirements.md#a1 to #a3).',
      '// docs/security-requirements.md#d26 and #d29; docs/http-contract.md#api-proxy',
      "describe('x (docs/security-requirements.md#j51 to #j55 and #g41)', () => {});",
      "describe('y (docs/security-requirements.md#h-remote-code-loading; issue 6)', () => {});",
      '// docs/security-requirements.md#c25, #e32 and #f34, then docs/security-requirements.md#g-authorization-in-the-apis.',
      '/** The identity context of docs/http-contract.md#identity-context. (docs/http-contract.md#auth-login), (docs/http-contract.md#api-proxy, #errors) */',
      '/** The six demo users of',
      ' * docs/http-contract.md#demo-users, and the ports of `npm start` (docs/http-contract.md#origins). */',
    ]);
    expect(readFileSync(join(dir, 'packages/x/README.md'), 'utf8')).toBe(
      'See [the security requirements](../../docs/security-requirements.md), item ' +
        '[C25](../../docs/security-requirements.md#c25) and [Errors](../../docs/http-contract.md#errors).\n',
    );
  });

  it('leaves a document without a page of its own for a hand edit, and says so', () => {
    const dir = copyOf({ 'a.ts': `// as ${STYLE} asks\n` });
    const { status, output } = rewrite(dir);
    expect(status).toBe(1);
    expect(output).toContain('a.ts:1:');
    expect(readFileSync(join(dir, 'a.ts'), 'utf8')).toBe(`// as ${STYLE} asks\n`);
  });

  it('rewrites every reference of the repository into an anchor that exists', () => {
    const files: Record<string, string> = {};
    for (const file of repoFiles()) {
      const text = readText(file);
      if (text !== undefined && countOutsideReferences(text) > 0) files[file] = text;
    }
    const dir = copyOf(files);
    const { status, output } = rewrite(dir);
    expect(status, output).toBe(0);
    const anchors = new Map(
      PAGES.map((page) => [page, readMarkdown(readFileSync(join(dir, page), 'utf8')).anchors]),
    );
    const missing: string[] = [];
    for (const file of Object.keys(files)) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(countOutsideReferences(text), file).toBe(0);
      const references = /(docs\/[a-z-]+\.md)(#[a-z0-9-]+)((?:(?:, | and | to )#[a-z0-9-]+)*)/g;
      for (const match of text.matchAll(references)) {
        const page = anchors.get(match[1] as string);
        for (const anchor of `${match[2]}${match[3]}`.match(/#[a-z0-9-]+/g) ?? []) {
          if (!page?.has(anchor.slice(1))) missing.push(`${file}: ${match[1]}${anchor}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
