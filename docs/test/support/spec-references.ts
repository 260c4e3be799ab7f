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
