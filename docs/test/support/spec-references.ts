import { existsSync, readFileSync } from 'node:fs';

/**
 * The design documents the project was started from. They are not in the repository, so nothing in it may
 * name them: the repository's own pages are `docs/security-requirements.md` and `docs/http-contract.md`.
 * (Spelled in parts, so that this file does not name them either.)
 */
export const outsideDocuments: readonly string[] = ['SECURITY', 'CONTRACT', 'ARCHITECTURE', 'STYLE'].map(
  (name) => `${name}.md`,
);

const REFERENCE = new RegExp(
  `\\b(?:${outsideDocuments.map((name) => name.replace('.', '\\.')).join('|')})\\b`,
  'g',
);

/** How many times `text` names one of the {@link outsideDocuments}. */
export function countOutsideReferences(text: string): number {
  return text.match(REFERENCE)?.length ?? 0;
}

/**
 * The allow-list of references still to be rewritten: `path count` per line, `#` comments. A missing file
 * is an empty list.
 *
 * @example
 * readAllowList('docs/test/known-spec-references.txt').get('packages/bff/src/csrf.ts') // 2
 */
export function readAllowList(path: string): Map<string, number> {
  const allowed = new Map<string, number>();
  if (!existsSync(path)) return allowed;
  for (const [index, raw] of readFileSync(path, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+)\s+(\d+)$/.exec(line);
    if (!match) throw new Error(`${path}:${index + 1}: expected "<path> <count>", got "${line}"`);
    allowed.set(match[1] as string, Number(match[2]));
  }
  return allowed;
}
